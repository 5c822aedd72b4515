"""An activity's check-in desk: who is in, a member-card field (scanner or camera), a list to
pick people from, and the activity's own actions. Each button shows exactly when the
transition table allows it; the staff check-in form is loaded by the API's schema."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor_or_none, login_required
from points.checkin import operations, presenters, queries
from points.checkin.pages.base import PER_PAGE, bp, desk_choice, posted, render
from points.checkin.schemas import StaffCheckInSchema
from points.checkin.transitions import activity_refusal
from points.db import session, utcnow
from points.i18n import translate
from points.people.queries import get_person, mask_phone, people_stmt
from points.web import field_limits, list_cursor, page_action, safe_local_path


@bp.get("/checkin/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    """The check-in desk: who is in, a member-card field (scanner or camera), and a list to pick from."""
    actor = current_actor_or_none()
    activity, station = queries.managed_activity(actor, activity_id)
    now = utcnow()
    q = (request.args.get("q") or "").strip()[:50]
    found = []
    if q:
        people = session().exec(people_stmt(actor, q=q).limit(20)).all()
        found = [
            (p, mask_phone(p.phone), *desk_choice(actor, p.id, activity, now))
            for p in people
            if p.id != actor.person_id
        ]
    data = queries.checkins_page(activity_id=activity.id, cursor=list_cursor(), per_page=PER_PAGE)
    return render(
        "checkin/activity.html",
        activity=activity,
        item=presenters.activity_item(activity, now, actor=actor),
        station=station,
        q=q,
        found=found,
        items=presenters.checkin_items(data["items"], translate, actor=actor, now=now),
        data=data,
        card_limits=field_limits(StaffCheckInSchema(), "card"),
        rate_refusal=activity_refusal(actor, activity, "confirm_rate", now=now, station=station),
    )


@bp.post("/checkin/activities/<int:activity_id>/staff-checkin")
@login_required
def staff_checkin(activity_id: int):
    actor = current_actor_or_none()
    result = page_action(
        lambda: operations.staff_check_in(
            actor=actor, activity_id=activity_id, **posted(StaffCheckInSchema())
        )
    )
    if result is not None:
        name = get_person(result.checkin.person_id).name
        flash(_("%(name)s：%(message)s", name=name, message=result.say(translate)), "success")
    return redirect(safe_local_path(request.form.get("back"), url_for(".activity", activity_id=activity_id)))


@bp.post("/checkin/activities/<int:activity_id>/confirm-rate")
@login_required
def confirm_rate(activity_id: int):
    actor = current_actor_or_none()
    page_action(
        lambda: operations.confirm_activity_rate(actor=actor, activity_id=activity_id),
        done=_("积分标准已确认：本人扫码签到的积分将自动入账"),
    )
    return redirect(url_for(".activity", activity_id=activity_id))


@bp.post("/checkin/activities/<int:activity_id>/<any(end, cancel):action>")
@login_required
def activity_action(activity_id: int, action: str):
    actor = current_actor_or_none()
    if action == "end":
        page_action(
            lambda: operations.end_activity(actor=actor, activity_id=activity_id),
            done=_("活动已结束，未签退的人员可在宽限期内扫码签退"),
        )
    else:
        page_action(
            lambda: operations.cancel_activity(actor=actor, activity_id=activity_id), done=_("活动已取消")
        )
    return redirect(url_for(".activity", activity_id=activity_id))
