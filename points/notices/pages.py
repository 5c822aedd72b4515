"""The inbox page: my notices, newest first, each marked read when opened."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor, login_required
from points.i18n import translate
from points.notices import operations, presenters, queries
from points.web import list_cursor, page_action

bp = Blueprint("notices_pages", __name__, template_folder="templates")
PER_PAGE = 20


@bp.get("/notices")
@login_required
def inbox():
    actor = current_actor()
    unread_only = request.args.get("unread") == "1"
    data = queries.notices_page(
        person_id=actor.person_id, unread_only=unread_only, cursor=list_cursor(), per_page=PER_PAGE
    )
    data["items"] = presenters.notice_views(data["items"], translate)
    return render_template(
        "notices/inbox.html",
        data=data,
        unread_only=unread_only,
        unread=queries.unread_count(actor.person_id),
    )


@bp.post("/notices/<int:notice_id>/open")
@login_required
def open_notice(notice_id: int):
    """Mark the notice read and go where it leads (or back to the inbox)."""
    actor = current_actor()
    notice = operations.mark_read(person_id=actor.person_id, notice_id=notice_id)
    return redirect(presenters.link_of(notice) or url_for("notices_pages.inbox"))


@bp.post("/notices/read")
@login_required
def read_all():
    actor = current_actor()
    page_action(lambda: operations.mark_all_read(person_id=actor.person_id), done=_("已全部标为已读"))
    return redirect(url_for("notices_pages.inbox"))
