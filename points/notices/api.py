"""`/api/v1/me/notices`: my inbox, and marking notices read."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.endpoints import paged, secured
from points.errors import problem_doc
from points.i18n import as_written
from points.notices import operations, presenters, queries
from points.notices.schemas import (
    MarkedSchema,
    NoticePageSchema,
    NoticeQuerySchema,
    NoticeSchema,
    UnreadSchema,
)
from points.pagination import decode_cursor

blp = Blueprint("notices", __name__, url_prefix="/api/v1", description="My notices (the inbox)")


@blp.route("/me/notices")
class Notices(MethodView):
    @secured(blp, 200, NoticePageSchema, query=NoticeQuerySchema)
    def get(self, args):
        """My notices, newest first (`unread` for the unread ones only), paged by cursor
        (`next_cursor`, the `Link` header)."""
        actor = current_actor()
        page = queries.notices_page(
            person_id=actor.person_id,
            unread_only=args["unread"],
            cursor=decode_cursor(args.get("cursor")),
            per_page=args["per_page"],
        )
        page["items"] = presenters.notice_views(page["items"], as_written)
        return paged(page)


@blp.route("/me/notices/unread")
class Unread(MethodView):
    @secured(blp, 200, UnreadSchema)
    def get(self):
        """How many of my notices are unread (up to 100)."""
        return {"unread": queries.unread_count(current_actor().person_id)}


@blp.route("/me/notices/<int:notice_id>/read")
class ReadOne(MethodView):
    @secured(blp, 200, NoticeSchema)
    @blp.alt_response(404, **problem_doc("notice_not_found"))
    def post(self, notice_id):
        """Mark one of my notices read."""
        notice = operations.mark_read(person_id=current_actor().person_id, notice_id=notice_id)
        return presenters.notice_views([notice], as_written)[0]


@blp.route("/me/notices/read")
class ReadAll(MethodView):
    @secured(blp, 200, MarkedSchema)
    def post(self):
        """Mark every notice of mine read."""
        return {"marked": operations.mark_all_read(person_id=current_actor().person_id)}
