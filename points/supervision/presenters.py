"""What a flag shows: its sentence, names, evidence rows with what each row is and where it
lives, and the actions the reader may take (the API and the pages alike)."""

from __future__ import annotations

from points.access import Actor
from points.board.queries import get_claim, get_task
from points.checkin.queries import get_activity, get_checkin
from points.errors import DomainError
from points.i18n import Gettext, as_written
from points.ledger.models import Kind, Reason
from points.ledger.queries import get_transfer
from points.org.queries import get_node
from points.supervision.models import Detector, Flag, FlagState
from points.supervision.queries import SENTENCES, names_for
from points.supervision.transitions import allowed_actions

# Where an evidence row lives in the API.
API_PATHS = {"transfer": "/api/v1/ledger/transfers/{id}", "claim": "/api/v1/claims/{id}"}


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
                "evidence": [
                    {
                        **row,
                        "href": API_PATHS[row["type"]].format(id=row["id"])
                        if row["type"] in API_PATHS
                        else None,
                    }
                    for row in flag.evidence
                ],
                "allowed_actions": allowed_actions(actor, flag, path),
            }
        )
    return views


def _transfer_line(row_id: int, gettext: Gettext) -> dict:
    row = get_transfer(row_id)
    if row is None:
        return {}
    return {
        "at": row["created_at"],
        "what": f"{row['amount']} {gettext(Kind(row['kind']).title)} · {gettext(Reason(row['reason']).title)}",
        "memo": row["memo"],
    }


def _checkin_line(row_id: int, gettext: Gettext) -> dict:
    checkin = get_checkin(row_id)
    activity = get_activity(checkin.activity_id)
    return {"at": checkin.checked_in_at, "until": checkin.checked_out_at, "what": activity.title}


def _claim_line(row_id: int, gettext: Gettext) -> dict:
    claim = get_claim(row_id)
    task = get_task(claim.task_id)
    return {
        "at": claim.community_verified_at,
        "what": task.title,
        "task_id": task.id,
        "person_id": claim.person_id,
    }


LINES = {"transfer": _transfer_line, "checkin": _checkin_line, "claim": _claim_line}


def evidence_lines(flag: Flag, gettext: Gettext) -> list[dict]:
    """Each evidence row with what it is (amount, activity, task) read from its own domain."""
    lines = []
    for row in flag.evidence:
        detail = {}
        if row["type"] in LINES:
            try:
                detail = LINES[row["type"]](row["id"], gettext)
            except DomainError:
                detail = {}
        lines.append({**row, **detail})
    return lines
