"""Check-ins and activities as the API answers them and the pages show them: their fields, what
happened in words (Chinese for the API, the reader's language on a page, through `gettext`),
and what the asking person may do with them (`allowed_actions`, by the transition tables)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa

from points.access import Actor
from points.checkin import queries, transitions
from points.checkin.models import Activity, CheckIn, CloseRule
from points.db import session, utcnow
from points.errors import refusal_text
from points.i18n import Gettext, as_written
from points.ledger.models import Kind, TransferState
from points.ledger.queries import award_states
from points.org.models import Station
from points.people.models import Person


def duration(minutes: int, gettext: Gettext = as_written) -> str:
    """A stay's length in hours and minutes."""
    hours, rest = divmod(minutes, 60)
    if hours:
        return gettext("%(hours)s小时%(minutes)s分钟", hours=hours, minutes=rest)
    return gettext("%(minutes)s分钟", minutes=rest)


def kind_name(kind: str | None) -> str:
    return Kind(kind).title if kind else ""


def outcome_message(
    outcome: str, checkin: CheckIn, *, posted: bool = False, gettext: Gettext = as_written
) -> str:
    """What a scan did, in the words the person reads on their phone: in Chinese, or in the page
    language through the page's `gettext`."""
    if outcome == "checked_in":
        return gettext("签到成功（工作人员代签）") if checkin.by_staff_id else gettext("签到成功")
    if outcome == "already_in":
        return gettext("您已签到，无需重复扫码")
    if outcome == "already_out":
        return gettext("您已签退，无需重复扫码")
    text = gettext("签退成功，本次服务%(duration)s", duration=duration(checkin.minutes or 0, gettext))
    if checkin.award_refusal:
        # TRANSLATORS: continues "Checked out…"; the reason is the ledger's refusal.
        text += gettext("，积分未能发放：%(reason)s", reason=refusal_text(checkin.award_refusal, gettext))
    elif checkin.points:
        # TRANSLATORS: continues "Checked out…"; the state is "Credited" or "Awaiting approval".
        text += gettext(
            "，获得 %(points)s %(kind)s（%(state)s）",
            points=checkin.points,
            kind=gettext(kind_name(checkin.kind)),
            state=gettext(TransferState.POSTED.title) if posted else gettext(TransferState.PENDING.title),
        )
    return text


def _closed(checkin: CheckIn, staff_names: dict[int, str], gettext: Gettext) -> str:
    if checkin.checked_out_at is None:
        return gettext("在场，尚未签退")
    if checkin.closed_by_job:
        return gettext(
            "活动结束时未签退，系统已按规则自动签退（%(rule)s）",
            rule=gettext(CloseRule(checkin.close_rule).title),
        )
    if checkin.out_by_staff_id:
        return gettext("由工作人员%(name)s代为签退", name=staff_names.get(checkin.out_by_staff_id, ""))
    return ""


def _earned(checkin: CheckIn, award: dict | None, gettext: Gettext) -> str:
    kind = gettext(kind_name(checkin.kind))
    state = gettext(TransferState(award["state"]).title) if award else ""
    if state:
        return gettext("%(points)s %(kind)s（%(state)s）", points=checkin.points, kind=kind, state=state)
    return f"{checkin.points} {kind}"


def describe(
    checkin: CheckIn, award: dict | None, staff_names: dict[int, str], gettext: Gettext = as_written
) -> str:
    """What happened to a check-in, in words a resident reads on their record: in Chinese, or in
    the page language through the page's `gettext`."""
    parts = []
    if checkin.by_staff_id:
        parts.append(gettext("由工作人员%(name)s代为签到", name=staff_names.get(checkin.by_staff_id, "")))
    if checkin.unattended:
        parts.append(gettext("海报扫码（无人值守），积分需审批"))
    parts.append(_closed(checkin, staff_names, gettext))
    if checkin.minutes is not None and checkin.checked_out_at is not None:
        parts.append(gettext("计时%(duration)s", duration=duration(checkin.minutes, gettext)))
    if checkin.points:
        parts.append(_earned(checkin, award, gettext))
    if checkin.is_capped:
        parts.append(gettext("已达每日积分上限"))
    if checkin.award_refusal:
        parts.append(gettext("积分未能发放：%(reason)s", reason=refusal_text(checkin.award_refusal, gettext)))
    # TRANSLATORS: between the parts of a check-in's note.
    return gettext("；").join(part for part in parts if part)


def _staff_names(rows: list) -> dict[int, str]:
    staff_ids = {i for c, *_ in rows for i in (c.by_staff_id, c.out_by_staff_id) if i}
    if not staff_ids:
        return {}
    return dict(session().execute(sa.select(Person.id, Person.name).where(Person.id.in_(staff_ids))).all())


def checkin_items(
    rows, gettext: Gettext = as_written, *, actor: Actor | None = None, now: datetime | None = None
) -> list[dict]:
    """Rows of (CheckIn, Activity, Station, Person) as dicts with their award's state, a note (in
    Chinese, or through the page's `gettext`), the award's refusal in those words
    (`award_error`) and its code, and what `actor` may do with each (`allowed_actions`; a
    page reads why not from `why_not`)."""
    rows = list(rows)
    now = now or utcnow()
    awards = award_states([c.award_transfer_id for c, *_ in rows if c.award_transfer_id])
    staff_names = _staff_names(rows)
    items = []
    for checkin, activity, station, person in rows:
        award = awards.get(checkin.award_transfer_id) if checkin.award_transfer_id else None
        actions = transitions.checkin_actions(actor, checkin, activity=activity, now=now)
        items.append(
            {
                **checkin.model_dump(),
                "activity_title": activity.title,
                "station_id": station.id,
                "station_name": station.name,
                "person_name": person.name,
                "award": award,
                "award_error": refusal_text(checkin.award_refusal, gettext),
                "award_error_code": (checkin.award_refusal or {}).get("code"),
                "note": describe(checkin, award, staff_names, gettext),
                "allowed_actions": [action for action, refusal in actions.items() if refusal is None],
                "why_not": {
                    action: refusal_text(refusal.as_refusal(), gettext)
                    for action, refusal in actions.items()
                    if refusal is not None
                },
            }
        )
    return items


def checkin_item(
    checkin: CheckIn,
    *,
    activity: Activity | None = None,
    station: Station | None = None,
    person_name: str | None = None,
    gettext: Gettext = as_written,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> dict:
    """One check-in as `checkin_items` shows it; pass what is at hand to save reading it again."""
    activity = activity or session().get(Activity, checkin.activity_id)
    station = station or session().get(Station, activity.station_id)
    person = (
        SimpleNamespace(name=person_name)
        if person_name is not None
        else session().get(Person, checkin.person_id)
    )
    return checkin_items([(checkin, activity, station, person)], gettext, actor=actor, now=now)[0]


def activity_summary(
    activity: Activity, station: Station, now: datetime, *, actor: Actor | None = None
) -> dict:
    """An activity without its counts (those cost a query; a scan's answer does without)."""
    allowed = transitions.activity_actions(actor, activity, now=now, station=station) if actor else []
    return {
        **activity.model_dump(),
        "station_name": station.name,
        "is_running": queries.takes_scans(activity, now),
        "phase": queries.phase(activity, now),
        "allowed_actions": allowed,
    }


def activity_item(activity: Activity, now: datetime, *, actor: Actor | None = None) -> dict:
    """An activity with who is in now and how many checked in, and what `actor` may do with it."""
    station = session().get(Station, activity.station_id)
    counts = queries.activity_counts(activity.id)
    allowed = (
        transitions.activity_actions(
            actor, activity, now=now, station=station, checked_in=counts["people"] > 0
        )
        if actor
        else []
    )
    return {
        **activity.model_dump(),
        "station_name": station.name if station else "",
        "is_running": queries.takes_scans(activity, now),
        "phase": queries.phase(activity, now),
        "allowed_actions": allowed,
        **counts,
    }
