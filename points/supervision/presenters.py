"""What a flag shows: its sentence, names, evidence rows with what each row is and where it
lives, and the actions the reader may take (the API and the pages alike)."""

from __future__ import annotations

from points.access import Actor
from points.board.queries import get_claim, get_task
from points.checkin.queries import get_activity, get_checkin, managed_activity, visible_activity
from points.errors import DomainError
from points.i18n import Gettext, as_written
from points.labels import N_
from points.ledger.models import Kind, Reason
from points.ledger.queries import get_transfer
from points.org.queries import get_node
from points.people.queries import get_account_change, person_names
from points.supervision.models import Detector, Flag, FlagState
from points.supervision.queries import SENTENCES, names_for
from points.supervision.transitions import allowed_actions

# Where an evidence row lives in the API.
API_PATHS = {"transfer": "/api/v1/ledger/transfers/{id}", "claim": "/api/v1/claims/{id}"}

# What an account change was, by its code.
ACCOUNT_CHANGES = {
    "created": N_("开户"),
    "updated": N_("修改信息"),
    "password_reset": N_("重置密码"),
    "unlocked": N_("解除锁定"),
    "role_granted": N_("授予角色"),
    "role_revoked": N_("撤销角色"),
}


def checkin_access(actor: Actor, activity_id: int) -> str | None:
    """How far the reader may follow a check-in: "manage" (its page and the activity's
    check-ins), "view" (the activity only), or None."""
    for level, check in (("manage", managed_activity), ("view", visible_activity)):
        try:
            check(actor, activity_id)
        except DomainError:
            continue
        return level
    return None


def _href(actor: Actor, row: dict) -> str | None:
    if row["type"] in API_PATHS:
        return API_PATHS[row["type"]].format(id=row["id"])
    if row["type"] != "checkin":
        return None
    try:
        activity_id = get_checkin(row["id"]).activity_id
    except DomainError:
        return None
    access = checkin_access(actor, activity_id)
    if access == "manage":
        return f"/api/v1/activities/{activity_id}/checkins"
    return f"/api/v1/activities/{activity_id}" if access == "view" else None


def summary(flag: Flag, gettext: Gettext = as_written) -> str:
    values = {key: value for key, value in flag.facts.items() if isinstance(value, int | float | str)}
    try:
        return gettext(SENTENCES[flag.detector], **values)
    except (KeyError, TypeError, ValueError):
        return gettext(Detector(flag.detector).title)


def flag_views(actor: Actor, flags: list[Flag]) -> list[dict]:
    """Flags as the API answers them, in Chinese."""
    _people, communities = names_for(flags)
    views = []
    for flag in flags:
        path = get_node(flag.community_id).path
        views.append(
            {
                **flag.model_dump(),
                "detector_name": Detector(flag.detector).title,
                "summary": summary(flag),
                "community_name": communities.get(flag.community_id, ""),
                "state_name": FlagState(flag.state).title,
                "evidence": [{**row, "href": _href(actor, row)} for row in flag.evidence],
                "allowed_actions": allowed_actions(actor, flag, path),
            }
        )
    return views


def _transfer_line(actor: Actor, row_id: int, gettext: Gettext) -> dict:
    """A ledger row shown in full here (the ledger page cannot point at one row): who asked
    for it and who approved it, the point of a mutual-approval flag."""
    row = get_transfer(row_id)
    if row is None:
        return {}
    names = person_names({p for p in (row["requested_by_id"], row["approved_by_id"]) if p})
    return {
        "at": row["created_at"],
        "what": f"{row['amount']} {gettext(Kind(row['kind']).title)} · {gettext(Reason(row['reason']).title)}",
        "memo": row["memo"],
        "requested_by": names.get(row["requested_by_id"], ""),
        "approved_by": names.get(row["approved_by_id"], ""),
    }


def _checkin_line(actor: Actor, row_id: int, gettext: Gettext) -> dict:
    checkin = get_checkin(row_id)
    activity = get_activity(checkin.activity_id)
    return {
        "at": checkin.checked_in_at,
        "until": checkin.checked_out_at,
        "what": activity.title,
        "openable": checkin_access(actor, activity.id) == "manage",
    }


def _account_change_line(actor: Actor, row_id: int, gettext: Gettext) -> dict:
    change = get_account_change(row_id)
    if change is None:
        return {}
    return {
        "at": change.created_at,
        "what": gettext(ACCOUNT_CHANGES.get(change.change, change.change)),
        "person_id": change.person_id,
        "changed_by": person_names({change.changed_by_id}).get(change.changed_by_id, ""),
    }


def _claim_line(actor: Actor, row_id: int, gettext: Gettext) -> dict:
    claim = get_claim(row_id)
    task = get_task(claim.task_id)
    return {
        "at": claim.community_verified_at,
        "what": task.title,
        "task_id": task.id,
        "person_id": claim.person_id,
    }


LINES = {
    "transfer": _transfer_line,
    "checkin": _checkin_line,
    "claim": _claim_line,
    "account_change": _account_change_line,
}


def evidence_lines(actor: Actor, flag: Flag, gettext: Gettext) -> list[dict]:
    """Each evidence row with what it is (amount, activity, task) read from its own domain."""
    lines = []
    for row in flag.evidence:
        detail = {}
        if row["type"] in LINES:
            try:
                detail = LINES[row["type"]](actor, row["id"], gettext)
            except DomainError:
                detail = {}
        lines.append({**row, **detail})
    return lines
