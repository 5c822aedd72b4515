"""The one transition table of evaluation: periods in notice, objections, deductions.

Operations raise what `refusal` returns; the API and the pages read `allowed_actions`, computed
by the very same checks, so a page never offers what an operation refuses.

    period:     notice --freeze--> frozen        (notice over, every objection answered)
    objection:  open --uphold--> upheld          (staff; a correction goes to the ledger)
                open --reject--> rejected        (staff, with the reason)
    deduction:  pending --approve--> approved    (a second staff member, not the requester)
                pending --reject---> rejected
                approved --appeal--> appealed    (the member)
                appealed --uphold_appeal--> withdrawn
                appealed --dismiss_appeal--> confirmed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from points.access import Actor
from points.db import utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.evaluation.models import Deduction, Objection, Period
from points.evaluation.queries import community_path, open_objections


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    who: str


TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("period", "freeze"): Transition(("notice",), "frozen", "evaluation.manage over the community"),
    ("objection", "uphold"): Transition(("open",), "upheld", "evaluation.manage, not the one it is about"),
    ("objection", "reject"): Transition(("open",), "rejected", "evaluation.manage, not the one it is about"),
    ("deduction", "approve"): Transition(("pending",), "approved", "evaluation.manage, not the requester"),
    ("deduction", "reject"): Transition(("pending",), "rejected", "evaluation.manage, not the requester"),
    ("deduction", "appeal"): Transition(("approved",), "appealed", "the member deducted"),
    ("deduction", "uphold_appeal"): Transition(
        ("appealed",), "withdrawn", "evaluation.manage, not the requester nor the approver"
    ),
    ("deduction", "dismiss_appeal"): Transition(
        ("appealed",), "confirmed", "evaluation.manage, not the requester nor the approver"
    ),
}
ACTIONS = {
    "period": ("freeze",),
    "objection": ("uphold", "reject"),
    "deduction": ("approve", "reject", "appeal", "uphold_appeal", "dismiss_appeal"),
}
_MACHINE = {Period: "period", Objection: "objection", Deduction: "deduction"}


def _stale(machine: str) -> DomainError:
    if machine == "period":
        return Conflict("already_frozen", "该时段已定档")
    if machine == "objection":
        return Conflict("already_answered", "该异议已答复")
    return Conflict("not_allowed_now", "该扣分记录当前状态不能这样处理")


def _scope_refusal(actor: Actor, path: str) -> DomainError | None:
    if not actor.in_scope_anywhere(path):
        return NotFound("not_found", "未找到")
    if not actor.can("evaluation.manage", path):
        return Forbidden("forbidden", "没有权限执行此操作")
    return None


def _period_refusal(actor: Actor, period: Period, now: datetime) -> DomainError | None:
    refused = _scope_refusal(actor, community_path(period.community_id))
    if refused is not None:
        return refused
    if now < period.notice_ends_at:
        return Conflict("notice_running", "公示期尚未结束，不能定档")
    if open_objections(period.id):
        return Conflict("objections_open", "还有异议未答复，不能定档")
    return None


def _objection_refusal(actor: Actor, objection: Objection) -> DomainError | None:
    refused = _scope_refusal(actor, community_path(objection.community_id))
    if refused is not None:
        return refused
    if actor.person_id in (objection.subject_id, objection.filed_by_id):
        return Forbidden("not_independent", "异议涉及本人，须由其他工作人员答复")
    return None


def _deduction_refusal(actor: Actor, deduction: Deduction, action: str) -> DomainError | None:
    if action == "appeal":
        if actor.person_id != deduction.person_id:
            return NotFound("not_found", "未找到")
        return None
    refused = _scope_refusal(actor, community_path(deduction.community_id))
    if refused is not None:
        return refused
    involved = {deduction.person_id, deduction.requested_by_id}
    if action in ("uphold_appeal", "dismiss_appeal"):
        involved.add(deduction.decided_by_id)
    if actor.person_id in involved:
        return Forbidden("maker_checker", "扣分须由另一名工作人员复核")
    return None


def refusal(actor: Actor, thing, action: str, *, now: datetime | None = None) -> DomainError | None:
    """Why `actor` may not do `action` to `thing` (a Period, Objection or Deduction), or None."""
    machine = _MACHINE[type(thing)]
    transition = TRANSITIONS.get((machine, action))
    if transition is None:
        raise ValueError(f"unknown action {action!r} for {machine}")
    if machine == "period":
        found = _period_refusal(actor, thing, now or utcnow())
    elif machine == "objection":
        found = _objection_refusal(actor, thing)
    else:
        found = _deduction_refusal(actor, thing, action)
    if found is not None and found.status == 404:
        return found
    if thing.state not in transition.sources:
        return _stale(machine)
    return found


def allowed_actions(actor: Actor, thing, *, now: datetime | None = None) -> list[str]:
    """The actions the actor may take on `thing` now, by the operations' own checks."""
    machine = _MACHINE[type(thing)]
    return [action for action in ACTIONS[machine] if refusal(actor, thing, action, now=now) is None]


def why_not(actor: Actor, thing, action: str, *, now: datetime | None = None) -> DomainError | None:
    """The refusal to show next to a missing button (None when the action is open, or when the
    reader could not see the thing anyway)."""
    found = refusal(actor, thing, action, now=now)
    return None if found is None or found.status in (403, 404) else found
