"""Every change to a claim: 揭榜, 派单 and its answer, withdrawing, the check-in, reporting the work,
双向验单, rejecting, and marking a no-show.

Slots are counted from live claims under a lock on the task row (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` transaction is the lock there), and a partial unique
index keeps one live claim per person or unit per task, so parallel claims can never overfill a
task or claim twice. What each move needs first is in the claim table (`rules.CLAIM_MOVES`).
Awards go through the ledger's operations; their state is read from the ledger, never copied.
"""

from __future__ import annotations

from datetime import datetime

from points.access import Actor
from points.audit.operations import audit
from points.board.models import Claim, ClaimState, Task, TaskState
from points.board.operations import rules
from points.board.operations.tasks import refuse_if, required_text
from points.board.queries import community_path, get_claim, get_task, live_claim_of
from points.db import flush_or_conflict, session, utcnow
from points.errors import Conflict, DomainError
from points.labels import N_
from points.ledger import operations as ledger
from points.people.models import Person
from points.people.queries import acts_as_party_member, get_person, unit_reports_to
from points.signals import claim_decided, claim_offered, offer_answered


def claim_kind(task: Task, *, person: Person | None, unit_id: int | None) -> str:
    """Units and party members earn 红松分 when the task offers them; everyone else 兴安分."""
    if unit_id is not None:
        return "hongsong"
    if task.reward_hongsong and acts_as_party_member(person):
        return "hongsong"
    return "xingan"


def claim_amount(task: Task, kind: str) -> int:
    return task.reward_hongsong if kind == "hongsong" else task.reward_xingan


def _confirming_unit(task: Task, person: Person, unit_id: int | None) -> int | None:
    """The unit that confirms a member's service (双向验单): their work unit. A unit's own claim
    is submitted by its admin, so the community alone verifies it."""
    if not task.requires_unit_confirm or unit_id is not None:
        return None
    if (
        person.work_unit_id is not None
        and acts_as_party_member(person)
        and unit_reports_to(person.work_unit_id, task.community_id)
    ):
        return person.work_unit_id
    return None


# Said when the unique index finds a live claim the checks before it could not see yet.
_ALREADY = {"person": N_("你已揭过这项任务"), "unit": N_("该单位已揭过这项任务")}


def _add_claim(
    task: Task,
    *,
    person: Person,
    unit_id: int | None,
    state: str,
    now: datetime,
    dispatched_by_id: int | None = None,
    walk_in: bool = False,
) -> Claim:
    """Add a claim; the caller holds the task lock and has checked the slots."""
    claimant_type = "unit" if unit_id is not None else "person"
    claim = Claim(
        task_id=task.id,
        claimant_type=claimant_type,
        person_id=person.id,
        unit_id=unit_id,
        kind=claim_kind(task, person=person, unit_id=unit_id),
        confirming_unit_id=_confirming_unit(task, person, unit_id),
        state=state,
        is_walk_in=walk_in,
        dispatched_by_id=dispatched_by_id,
        checked_in_at=now if state == ClaimState.CHECKED_IN else None,
        created_at=now,
        updated_at=now,
    )
    flush_or_conflict(_ALREADY[claimant_type], code="already_claimed", add=claim)
    return claim


def claim_task(
    *, actor: Actor, task_id: int, unit_id: int | None = None, now: datetime | None = None
) -> Claim:
    """揭榜: take a slot for oneself, or for a unit one administers. A task filled by a draw takes
    an application instead, until its draw.

    The task must be posted and before its claim deadline. Raises `task_not_open`,
    `deadline_passed`, `task_full`, `already_claimed`, `not_eligible`, `forbidden`.
    """
    now = now or utcnow()
    task = get_task(task_id, lock=True)
    action = "claim" if unit_id is None else "claim_unit"
    refuse_if(rules.task_refusal(actor, task, action, rules.Facts(actor, now), unit_id=unit_id))
    state = ClaimState.APPLIED if rules.takes_applications(task) else ClaimState.CLAIMED
    claim = _add_claim(task, person=get_person(actor.person_id), unit_id=unit_id, state=state, now=now)
    audit(
        actor,
        "claim.created",
        claim,
        node_id=task.community_id,
        unit_id=unit_id,
        detail={"task_id": task.id},
        now=now,
    )
    return claim


def dispatch_task(
    *,
    actor: Actor,
    task_id: int,
    person_id: int | None = None,
    unit_id: int | None = None,
    phone: str | None = None,
    now: datetime | None = None,
) -> Claim:
    """派单: offer a slot to a named person (by id or phone) or unit; the slot is held until they
    answer.

    Raises `assignee_required`, `task_not_open`, `task_full`, `already_claimed`, `person_not_found`,
    `unit_without_admin`, `not_eligible` (the assignee may not take this task).
    """
    now = now or utcnow()
    named = {"person_id": person_id, "unit_id": unit_id, "phone": phone}
    if sum(value is not None for value in named.values()) != 1:
        raise DomainError("assignee_required", "请指定一个人或一个单位", 422)
    task = get_task(task_id, lock=True)
    facts = rules.Facts(actor, now)
    refuse_if(rules.task_refusal(actor, task, "dispatch", facts, **named))
    contact, unit_id = facts.assignee(task, **named)
    claim = _add_claim(
        task,
        person=contact,
        unit_id=unit_id,
        state=ClaimState.OFFERED,
        now=now,
        dispatched_by_id=actor.person_id,
    )
    audit(
        actor,
        "task.dispatched",
        claim,
        node_id=task.community_id,
        unit_id=unit_id,
        detail={"task_id": task.id, "person_id": contact.id if unit_id is None else None, "unit_id": unit_id},
        now=now,
    )
    claim_offered.send(None, claim_id=claim.id, person_id=contact.id, title=task.title, now=now)
    return claim


def _claim_move(actor: Actor | None, claim: Claim, task: Task, state: str, now: datetime, **detail) -> Claim:
    claim.state, claim.updated_at = state, now
    audit(
        actor,
        _ACTION[state],
        claim,
        node_id=task.community_id,
        unit_id=claim.unit_id,
        detail={"task_id": claim.task_id, **detail},
        now=now,
    )
    return claim


# What the audit log calls each move of a claim.
_ACTION = {
    ClaimState.CLAIMED: "claim.accepted",
    ClaimState.DECLINED: "claim.declined",
    ClaimState.WITHDRAWN: "claim.withdrawn",
    ClaimState.SUBMITTED: "claim.submitted",
    ClaimState.REJECTED: "claim.rejected",
    ClaimState.NO_SHOW: "claim.no_show",
}


def _claimant_step(actor: Actor, claim_id: int, action: str, now: datetime) -> tuple[Claim, Task]:
    """The claim (locked) and its task, once the claim table allows `action` for the actor."""
    claim = get_claim(claim_id, lock=True)
    task = get_task(claim.task_id)
    refuse_if(rules.claim_refusal(actor, claim, task, action, rules.Facts(actor, now)))
    return claim, task


def accept_dispatch(*, actor: Actor, claim_id: int, now: datetime | None = None) -> Claim:
    """Take on a dispatched task. Raises `not_offered`, `task_not_open`, `not_eligible`."""
    now = now or utcnow()
    claim, task = _claimant_step(actor, claim_id, "accept", now)
    _claim_move(actor, claim, task, ClaimState.CLAIMED, now)
    _answered(claim, task, accepted=True, now=now)
    return claim


def decline_dispatch(*, actor: Actor, claim_id: int, reason: str = "", now: datetime | None = None) -> Claim:
    """Turn a dispatched task down; its slot opens again. Raises `not_offered`."""
    now = now or utcnow()
    claim, task = _claimant_step(actor, claim_id, "decline", now)
    claim.reason = reason.strip()
    _claim_move(actor, claim, task, ClaimState.DECLINED, now)
    _answered(claim, task, accepted=False, now=now)
    return claim


def _answered(claim: Claim, task: Task, *, accepted: bool, now: datetime) -> None:
    offer_answered.send(
        None,
        claim_id=claim.id,
        person_id=claim.person_id,
        accepted=accepted,
        dispatched_by_id=claim.dispatched_by_id,
        title=task.title,
        reason=claim.reason if not accepted else "",
        now=now,
    )


def withdraw_claim(*, actor: Actor, claim_id: int, reason: str = "", now: datetime | None = None) -> Claim:
    """Give a slot (or an application) back before verification; it opens again.
    Raises `not_withdrawable`."""
    now = now or utcnow()
    claim, task = _claimant_step(actor, claim_id, "withdraw", now)
    claim.reason = reason.strip()
    return _claim_move(actor, claim, task, ClaimState.WITHDRAWN, now)


def submit_claim(*, actor: Actor, claim_id: int, note: str = "", now: datetime | None = None) -> Claim:
    """Report the work done, with a note, for verification.

    Raises `not_submittable`, `checkin_required` (the task needs a QR check-in first),
    `task_not_started`, `task_not_open`."""
    now = now or utcnow()
    claim, task = _claimant_step(actor, claim_id, "submit", now)
    claim.note, claim.submitted_at = note.strip(), now
    return _claim_move(actor, claim, task, ClaimState.SUBMITTED, now)


def check_in_claim(*, task_id: int, person_id: int, now: datetime | None = None) -> int:
    """A check-in at the task's activity: mark the person's live claim (or their work unit's)
    as checked in, or claim a free slot on the spot when the task allows walk-ins.

    Idempotent: a claim already checked in or further along is returned unchanged.
    Raises `not_claimed`, `task_not_open`, `task_full`, `not_eligible`.
    """
    now = now or utcnow()
    task = get_task(task_id, lock=True)
    person = get_person(person_id)
    owners = [(person.id, None)] + ([(person.id, person.work_unit_id)] if person.work_unit_id else [])
    for owner_id, unit_id in owners:
        claim = live_claim_of(task.id, person_id=owner_id, unit_id=unit_id, lock=True)
        if claim is None:
            continue
        if claim.state == ClaimState.OFFERED:
            raise Conflict("not_claimed", "请先接受派单再签到")
        if claim.state == ClaimState.APPLIED:
            raise Conflict("not_claimed", "抽签结果公布前不能签到")
        if claim.state == ClaimState.CLAIMED:
            # A unit's claim counts as attended once one of its members checks in.
            claim.state, claim.checked_in_at, claim.updated_at = ClaimState.CHECKED_IN, now, now
            session().flush()
        return claim.id
    return _walk_in(task, person, now).id


def _walk_in(task: Task, person: Person, now: datetime) -> Claim:
    """Walk-ins come while the task runs, usually after claims closed; the slots still hold."""
    if (
        task.state not in (TaskState.POSTED, TaskState.CLOSED)
        or not task.allows_walk_in
        or task.ends_at <= now
    ):
        raise Conflict("not_claimed", "你还没有揭这项任务，请先揭榜")
    facts = rules.Facts(None, now)
    refuse_if(rules.eligibility_refusal(task, person, None, facts) or rules.full_refusal(task, facts))
    claim = _add_claim(task, person=person, unit_id=None, state=ClaimState.CHECKED_IN, now=now, walk_in=True)
    walker = Actor(person_id=person.id, name=person.name)
    audit(walker, "claim.walk_in", claim, node_id=task.community_id, detail={"task_id": task.id}, now=now)
    return claim


def _verifier_step(actor: Actor, claim_id: int, action: str, now: datetime, **details) -> tuple[Claim, Task]:
    """The claim and its task, locked task first (so a cancellation holding the task is waited
    for, and then seen), once the claim table allows `action` for the actor."""
    task = get_task(get_claim(claim_id).task_id, lock=True)
    claim = get_claim(claim_id, lock=True)
    refuse_if(rules.claim_refusal(actor, claim, task, action, rules.Facts(actor, now), **details))
    return claim, task


def verify_claim(
    *, actor: Actor, claim_id: int, side: str | None = None, now: datetime | None = None
) -> Claim:
    """双向验单: the community side (staff) and, when the task asks, the unit side (the
    confirming unit's admin) each confirm a submitted claim once. When every side has
    confirmed, the claim is verified and its award is asked of the ledger, pending approval
    by someone who did not verify it.

    Raises `not_submitted`, `already_verified`, `invalid_side`, `self_verify`, `task_not_open`, and
    what the ledger raises (`budget_exceeded`, `wrong_kind`).
    """
    now = now or utcnow()
    claim, task = _verifier_step(actor, claim_id, "verify", now, side=side)
    acting = rules.pending_sides(actor, claim, community_path(task.community_id), side)[0]
    if acting == "community":
        claim.community_verified_by_id, claim.community_verified_at = actor.person_id, now
    else:
        claim.unit_verified_by_id, claim.unit_verified_at = actor.person_id, now
    complete = claim.community_verified_at is not None and (
        claim.confirming_unit_id is None or claim.unit_verified_at is not None
    )
    claim.updated_at = now
    if complete:
        claim.state = ClaimState.VERIFIED
        _request_award(claim, task, now)
    audit(
        actor,
        "claim.verified",
        claim,
        node_id=task.community_id,
        unit_id=claim.confirming_unit_id if acting == "unit" else None,
        detail={"task_id": task.id, "side": acting, "complete": complete},
        now=now,
    )
    if complete:
        claim_decided.send(
            None,
            claim_id=claim.id,
            person_id=claim.person_id,
            title=task.title,
            verified=True,
            reason="",
            now=now,
        )
    return claim


def _request_award(claim: Claim, task: Task, now: datetime) -> None:
    """Ask the ledger for the verified claim's award, pending someone else's approval."""
    amount = claim_amount(task, claim.kind)
    if amount <= 0:
        return
    row = ledger.request_award(
        community_id=task.community_id,
        recipient_type=claim.claimant_type,
        recipient_id=claim.unit_id if claim.claimant_type == "unit" else claim.person_id,
        kind=claim.kind,
        amount=amount,
        reason="task_award",
        proof="claim",
        idempotency_key=f"claim:{claim.id}:award",
        ref_type="claim",
        ref_id=claim.id,
        memo=task.title[:200],
        requested_by_id=claim.community_verified_by_id,
        verified_by_id=claim.unit_verified_by_id or claim.community_verified_by_id,
        now=now,
    )
    claim.award_transfer_id = row["id"]


def reject_claim(*, actor: Actor, claim_id: int, reason: str, now: datetime | None = None) -> Claim:
    """Refuse a claim that is not verified yet, with a reason (either side may).

    Raises `reason_required`, `not_rejectable`, `self_verify`."""
    now = now or utcnow()
    reason = required_text("reason", reason, N_("请填写原因"))
    claim, task = _verifier_step(actor, claim_id, "reject", now)
    claim.reason, claim.decided_by_id = reason, actor.person_id
    _claim_move(actor, claim, task, ClaimState.REJECTED, now, reason=reason)
    claim_decided.send(
        None,
        claim_id=claim.id,
        person_id=claim.person_id,
        title=task.title,
        verified=False,
        reason=reason,
        now=now,
    )
    return claim


def mark_no_show(*, actor: Actor | None, claim_id: int, now: datetime | None = None) -> Claim:
    """Someone who claimed did not come (staff, after the task started; or the job after it
    ended). Their slot is freed. Raises `not_claimed`, `task_not_started`."""
    now = now or utcnow()
    if actor is not None:
        claim, task = _verifier_step(actor, claim_id, "no-show", now)
        claim.decided_by_id = actor.person_id
    else:
        claim = get_claim(claim_id, lock=True)
        task = get_task(claim.task_id)
        refuse_if(rules.claim_refusal(None, claim, task, "no-show", rules.Facts(None, now)))
    # The job declines dispatches nobody answered; staff who saw nobody come mark a no-show.
    state = ClaimState.DECLINED if claim.state == ClaimState.OFFERED and actor is None else ClaimState.NO_SHOW
    return _claim_move(actor, claim, task, state, now)
