"""The task and the claim state machines: one table each saying who moves which state where, and
the refusal each action meets in a given state, for a given actor, at a given time.

The operations raise what `task_refusal` and `claim_refusal` return; `task_actions` and
`claim_actions` ask the same functions for every action at once, which is what the API answers
as `allowed_actions` and what decides the buttons a page shows. A page therefore never offers
what the operation would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from points.access import Actor
from points.board.models import RUNNING_TASK_STATES, Claim, ClaimState, Eligibility, FillMode, Task, TaskState
from points.board.queries import community_path, get_task, live_claim_count, live_claim_of, unit_contact
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.labels import N_
from points.org.queries import get_unit
from points.people.models import Person
from points.people.queries import (
    acts_as_party_member,
    belongs_to_community,
    find_person_by_phone,
    get_person,
    unit_reports_to,
)

# Who takes an action.
MANAGER = "manager"  # staff holding tasks.manage over the task's community
JOB = "job"  # a scheduled job, acting for nobody
RESIDENT = "resident"  # anyone the task is open to, for themselves
UNIT_ADMIN = "unit_admin"  # the admin of a unit the task is open to, for the unit
CLAIMANT = "claimant"  # whoever answers for a claim: its person, or its unit's admin
VERIFIER = "verifier"  # the community side (claims.verify) or the confirming unit's admin
COMMUNITY = "community"  # the community side only
CHECKIN = "checkin"  # a check-in at the task's activity (points.checkin, by signal)


@dataclass(frozen=True)
class Move:
    """One action of a state machine: the states it starts from, the states it leads to (none:
    the state stays), who takes it, and the refusal when the thing is in another state."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    who: tuple[str, ...]
    code: str = ""
    message: str = ""


_RUNNING = tuple(RUNNING_TASK_STATES)

TASK_MOVES: dict[str, Move] = {
    "update": Move(
        (TaskState.DRAFT, *_RUNNING), (), (MANAGER,), "task_locked", N_("任务已结束或取消，不能修改")
    ),
    "post": Move((TaskState.DRAFT,), (TaskState.POSTED,), (MANAGER,), "not_draft", N_("只有草稿可以张榜")),
    "close": Move(
        (TaskState.POSTED,), (TaskState.CLOSED,), (MANAGER, JOB), "not_posted", N_("只有张榜中的任务可以截止")
    ),
    "complete": Move(
        _RUNNING, (TaskState.DONE,), (MANAGER,), "not_open", N_("只有张榜中或已截止的任务可以完成")
    ),
    "cancel": Move(
        (TaskState.DRAFT, *_RUNNING),
        (TaskState.CANCELLED,),
        (MANAGER,),
        "not_cancellable",
        N_("已完成或已取消的任务不能取消"),
    ),
    "draw": Move(_RUNNING, (), (MANAGER, JOB), "task_not_open", N_("任务已完成或已取消")),
    "dispatch": Move(_RUNNING, (), (MANAGER,), "task_not_open", N_("只有张榜中或已截止的任务可以派单")),
    "claim": Move((TaskState.POSTED,), (), (RESIDENT,), "task_not_open", N_("任务已截止，不能揭榜")),
    "claim_unit": Move((TaskState.POSTED,), (), (UNIT_ADMIN,), "task_not_open", N_("任务已截止，不能揭榜")),
}

# A claim's own moves. Besides these, the task moves claims: its draw turns applications into
# claims or `not_selected`, and its cancellation releases every live claim.
CLAIM_MOVES: dict[str, Move] = {
    "accept": Move(
        (ClaimState.OFFERED,), (ClaimState.CLAIMED,), (CLAIMANT,), "not_offered", N_("这不是待接的派单")
    ),
    "decline": Move(
        (ClaimState.OFFERED,), (ClaimState.DECLINED,), (CLAIMANT,), "not_offered", N_("这不是待接的派单")
    ),
    "withdraw": Move(
        (ClaimState.APPLIED, ClaimState.CLAIMED, ClaimState.CHECKED_IN, ClaimState.SUBMITTED),
        (ClaimState.WITHDRAWN,),
        (CLAIMANT,),
        "not_withdrawable",
        N_("当前状态不能退出"),
    ),
    "submit": Move(
        (ClaimState.CLAIMED, ClaimState.CHECKED_IN),
        (ClaimState.SUBMITTED,),
        (CLAIMANT,),
        "not_submittable",
        N_("当前状态不能提交"),
    ),
    # Each side confirms once; the claim is verified when every side has.
    "verify": Move(
        (ClaimState.SUBMITTED,),
        (ClaimState.SUBMITTED, ClaimState.VERIFIED),
        (VERIFIER,),
        "not_submitted",
        N_("还没有提交，不能验收"),
    ),
    "reject": Move(
        (ClaimState.CLAIMED, ClaimState.CHECKED_IN, ClaimState.SUBMITTED),
        (ClaimState.REJECTED,),
        (VERIFIER,),
        "not_rejectable",
        N_("当前状态不能驳回"),
    ),
    # The job declines a dispatch nobody answered; staff who saw nobody come mark a no-show.
    "no-show": Move(
        (ClaimState.CLAIMED, ClaimState.OFFERED),
        (ClaimState.NO_SHOW, ClaimState.DECLINED),
        (COMMUNITY, JOB),
        "not_claimed",
        N_("只有已揭榜未签到的记录可以标记未到场"),
    ),
    "check_in": Move((ClaimState.CLAIMED,), (ClaimState.CHECKED_IN,), (CHECKIN,)),
}

# The actions a person takes (the rest are the jobs' and the check-in's).
TASK_ACTIONS = tuple(a for a, m in TASK_MOVES.items() if set(m.who) - {JOB, CHECKIN})
CLAIM_ACTIONS = tuple(a for a, m in CLAIM_MOVES.items() if set(m.who) - {JOB, CHECKIN})


def _state(moves: dict[str, Move], action: str, state: str) -> DomainError | None:
    move = moves[action]
    return None if state in move.sources else Conflict(move.code, move.message)


# --- what the rules read ---------------------------------------------------------------------


@dataclass
class Facts:
    """What the rules read besides the task or claim itself, each read once: people and their
    standing, community paths, slots taken. A list fills in what it has already read."""

    actor: Actor | None
    now: datetime
    live_counts: dict[int, int] = field(default_factory=dict)
    # Tasks whose live claims by the actor (and their units) are known: `own_claims` holds them
    # as (task id, person id, None) and (task id, None, unit id).
    known_tasks: set[int] = field(default_factory=set)
    own_claims: set[tuple[int, int | None, int | None]] = field(default_factory=set)
    _cache: dict = field(default_factory=dict)

    def _once(self, key, read: Callable):
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    def path(self, community_id: int) -> str:
        return self._once(("path", community_id), lambda: community_path(community_id))

    def person(self, person_id: int) -> Person:
        return self._once(("person", person_id), lambda: get_person(person_id))

    def is_member(self, person: Person) -> bool:
        return self._once(("member", person.id), lambda: acts_as_party_member(person))

    def belongs(self, person: Person, community_id: int) -> bool:
        return self._once(
            ("belongs", person.id, community_id), lambda: belongs_to_community(person, community_id)
        )

    def reports(self, unit_id: int, community_id: int) -> bool:
        return self._once(("reports", unit_id, community_id), lambda: unit_reports_to(unit_id, community_id))

    def task(self, task_id: int) -> Task:
        return self._once(("task", task_id), lambda: get_task(task_id))

    def know_task(self, task: Task) -> None:
        """A task a list has already read."""
        self._cache[("task", task.id)] = task

    def live_count(self, task_id: int) -> int:
        if task_id not in self.live_counts:
            self.live_counts[task_id] = live_claim_count(task_id)
        return self.live_counts[task_id]

    def holds_claim(self, task_id: int, *, person_id: int, unit_id: int | None) -> bool:
        """Whether the person (or the unit, when given) holds a live claim on the task."""
        if task_id in self.known_tasks and self.actor is not None:
            if unit_id is None and person_id == self.actor.person_id:
                return (task_id, person_id, None) in self.own_claims
            if unit_id is not None and unit_id in self.actor.unit_ids:
                return (task_id, None, unit_id) in self.own_claims
        return live_claim_of(task_id, person_id=person_id, unit_id=unit_id) is not None

    def assignee(self, task: Task, *, person_id: int | None, unit_id: int | None, phone: str | None):
        """Whom a dispatch offers the slot to: (the person who answers, their unit id or None), or
        the refusal when there is nobody to offer it to."""
        return self._once(
            ("assignee", task.id, person_id, unit_id, phone),
            lambda: _find_assignee(task, person_id=person_id, unit_id=unit_id, phone=phone),
        )


def _find_assignee(
    task: Task, *, person_id: int | None, unit_id: int | None, phone: str | None
) -> tuple[Person, int | None] | DomainError:
    if unit_id is not None:
        try:
            get_unit(unit_id)
        except NotFound as exc:
            return exc
        contact = unit_contact(unit_id)
        if contact is None:
            return DomainError("unit_without_admin", "该单位没有管理员，无法派单", 422)
        return contact, unit_id
    contact = find_person_by_phone(phone) if phone is not None else _find_person(person_id)
    # Staff offer work to people of the task's community; whether anyone else exists is not
    # theirs to learn.
    if contact is None or not belongs_to_community(contact, task.community_id):
        return NotFound("person_not_found", "人员不存在")
    return contact, None


def _find_person(person_id: int) -> Person | None:
    try:
        return get_person(person_id)
    except NotFound:
        return None


# --- tasks -------------------------------------------------------------------------------------


def manager_refusal(actor: Actor | None, task: Task, facts: Facts) -> DomainError | None:
    """Staff who manage the task's community (or a job, acting for nobody). Outside their scope
    the task is not found, whether or not it is on the public board; inside it without the role,
    403."""
    if actor is None:
        return None
    path = facts.path(task.community_id)
    if not actor.in_scope_anywhere(path):
        return NotFound("task_not_found", "任务不存在")
    if not actor.can("tasks.manage", path):
        return Forbidden("forbidden", "没有权限执行此操作")
    return None


def eligibility_refusal(task: Task, person: Person, unit_id: int | None, facts: Facts) -> DomainError | None:
    """Who may take this task: its eligibility, and belonging to its community."""
    if person.is_suspended:
        return Forbidden("not_eligible", "账号已停用")
    if unit_id is not None:
        if task.eligibility not in (Eligibility.UNITS, Eligibility.ANYONE):
            return Forbidden("not_eligible", "这项任务不接受单位揭榜")
        if not facts.reports(unit_id, task.community_id):
            return Forbidden("not_eligible", "该单位还没有向本社区报到")
        return None
    if task.eligibility == Eligibility.UNITS:
        return Forbidden("not_eligible", "这项任务只接受单位揭榜")
    if task.eligibility == Eligibility.PARTY_MEMBERS and not facts.is_member(person):
        return Forbidden("not_eligible", "这项任务只接受已到社区报到的党员揭榜")
    if not facts.belongs(person, task.community_id):
        return Forbidden("not_eligible", "只能揭本社区（居住或报到的社区）的任务")
    return None


def full_refusal(task: Task, facts: Facts) -> DomainError | None:
    return Conflict("task_full", "名额已满") if facts.live_count(task.id) >= task.slots else None


def takes_applications(task: Task) -> bool:
    """Until its draw a task of the other fill modes takes applications whatever the slots; after
    it, what is left fills first come, first served."""
    return task.fill_mode != FillMode.FIRST_COME and task.drawn_at is None


def _unit_refusal(actor: Actor, unit_id: int, facts: Facts) -> DomainError | None:
    try:
        # Held by the facts: the session keeps no unreferenced row, and a board asks per task.
        facts._once(("unit", unit_id), lambda: get_unit(unit_id))
    except NotFound as exc:
        return exc
    if not actor.administers_unit(unit_id):
        return Forbidden("forbidden", "只有单位管理员可以代表单位揭榜")
    return None


def _claim(actor: Actor, task: Task, facts: Facts, unit_id: int | None = None) -> DomainError | None:
    """揭榜, for oneself or (`unit_id`) for a unit one administers."""
    if unit_id is not None and (refused := _unit_refusal(actor, unit_id, facts)):
        return refused
    if task.state in (TaskState.DRAFT, TaskState.CANCELLED):
        return NotFound("task_not_found", "任务不存在")
    if refused := _state(TASK_MOVES, "claim", task.state):
        return refused
    if task.claim_deadline <= facts.now:
        return Conflict("deadline_passed", "报名已截止")
    person = facts.person(actor.person_id)
    if refused := eligibility_refusal(task, person, unit_id, facts):
        return refused
    if facts.holds_claim(task.id, person_id=person.id, unit_id=unit_id):
        # Said before "full": the caller already holds what they ask for.
        if unit_id is not None:
            return Conflict("already_claimed", "该单位已揭过这项任务")
        return Conflict("already_claimed", "你已揭过这项任务")
    return None if takes_applications(task) else full_refusal(task, facts)


def _claim_unit(actor: Actor, task: Task, facts: Facts, unit_id: int | None = None) -> DomainError | None:
    """A claim for a unit: for `unit_id`, or (offering the action) for any unit the actor runs."""
    if unit_id is not None:
        return _claim(actor, task, facts, unit_id)
    refusals = [_claim(actor, task, facts, unit) for unit in actor.unit_ids]
    if not refusals:
        return Forbidden("forbidden", "只有单位管理员可以代表单位揭榜")
    return None if None in refusals else refusals[0]


def _dispatch(
    actor: Actor,
    task: Task,
    facts: Facts,
    *,
    person_id: int | None = None,
    unit_id: int | None = None,
    phone: str | None = None,
) -> DomainError | None:
    """派单 to a person (by id or phone) or a unit; naming nobody, whether a slot can be offered."""
    if refused := manager_refusal(actor, task, facts) or _state(TASK_MOVES, "dispatch", task.state):
        return refused
    if (person_id, unit_id, phone) != (None, None, None):
        found = facts.assignee(task, person_id=person_id, unit_id=unit_id, phone=phone)
        if isinstance(found, DomainError):
            return found
        contact, unit_id = found
        if refused := eligibility_refusal(task, contact, unit_id, facts):
            return refused
        if facts.holds_claim(task.id, person_id=contact.id, unit_id=unit_id):
            return Conflict("already_claimed", "对方已揭过这项任务")
    return full_refusal(task, facts)


def _post(actor: Actor, task: Task, facts: Facts) -> DomainError | None:
    return (
        manager_refusal(actor, task, facts)
        or _state(TASK_MOVES, "post", task.state)
        or deadline_refusal(task.claim_deadline, facts.now)
    )


def deadline_refusal(claim_deadline: datetime, now: datetime) -> DomainError | None:
    """Claims must still be open when a task goes on the board."""
    if claim_deadline <= now:
        return DomainError(
            "deadline_passed",
            "报名截止时间已过，不能张榜",
            422,
            errors={"claim_deadline": [N_("应晚于现在")]},
        )
    return None


def _complete(actor: Actor, task: Task, facts: Facts) -> DomainError | None:
    if refused := manager_refusal(actor, task, facts) or _state(TASK_MOVES, "complete", task.state):
        return refused
    return Conflict("task_not_started", "任务还没有开始") if task.starts_at > facts.now else None


def _draw(actor: Actor | None, task: Task, facts: Facts) -> DomainError | None:
    if refused := manager_refusal(actor, task, facts):
        return refused
    if task.fill_mode == FillMode.FIRST_COME:
        return Conflict("not_a_draw", "这项任务先到先得，不抽签")
    if task.drawn_at is not None:
        return Conflict("already_drawn", "已经抽过签了")
    if refused := _state(TASK_MOVES, "draw", task.state):
        return refused
    if task.claim_deadline > facts.now:
        return Conflict("deadline_not_passed", "报名截止后才能抽签")
    return None


def _update(actor: Actor, task: Task, facts: Facts) -> DomainError | None:
    return manager_refusal(actor, task, facts) or _state(TASK_MOVES, "update", task.state)


def _simple(action: str):
    def refusal(actor: Actor | None, task: Task, facts: Facts) -> DomainError | None:
        return manager_refusal(actor, task, facts) or _state(TASK_MOVES, action, task.state)

    return refusal


_TASK_REFUSALS = {
    "update": _update,
    "post": _post,
    "close": _simple("close"),
    "complete": _complete,
    "cancel": _simple("cancel"),
    "draw": _draw,
    "dispatch": _dispatch,
    "claim": _claim,
    "claim_unit": _claim_unit,
}


def task_refusal(actor: Actor | None, task: Task, action: str, facts: Facts, **details) -> DomainError | None:
    """Why `actor` may not take `action` on `task` now, or None. `details` are what the action
    names beyond the task: `unit_id` for a claim; `person_id`, `unit_id` or `phone` for a
    dispatch."""
    return _TASK_REFUSALS[action](actor, task, facts, **details)


def task_actions(actor: Actor, task: Task, facts: Facts) -> tuple[list[str], dict[str, DomainError]]:
    """The actions `actor` may take on `task` now, and why each other one is refused."""
    allowed, refused = [], {}
    for action in TASK_ACTIONS:
        refusal = task_refusal(actor, task, action, facts)
        if refusal is None:
            allowed.append(action)
        else:
            refused[action] = refusal
    return allowed, refused


def allowed_task_actions(actor: Actor, task: Task, now: datetime) -> list[str]:
    return task_actions(actor, task, Facts(actor, now))[0]


# --- claims ------------------------------------------------------------------------------------


def claimant_refusal(actor: Actor, claim: Claim) -> DomainError | None:
    """A claim the actor answers for: their own, or their unit's. Others find nothing."""
    if claim.claimant_type == "unit":
        mine = actor.administers_unit(claim.unit_id)
    else:
        mine = claim.person_id == actor.person_id
    return None if mine else NotFound("claim_not_found", "揭榜记录不存在")


def verifier_sides(actor: Actor, claim: Claim, path: str) -> list[str]:
    sides = []
    if actor.can("claims.verify", path):
        sides.append("community")
    if claim.confirming_unit_id is not None and actor.administers_unit(claim.confirming_unit_id):
        sides.append("unit")
    return sides


def verifier_refusal(actor: Actor, claim: Claim, task: Task, facts: Facts) -> DomainError | None:
    """Someone who may verify the claim on some side; 404 when they may act on none."""
    if claim.person_id == actor.person_id or (claim.unit_id is not None and claim.unit_id in actor.unit_ids):
        # The claimant sees their claim, so this is a refusal, not a secret.
        return Forbidden("self_verify", "不能验收自己或本单位的揭榜")
    path = facts.path(task.community_id)
    if not verifier_sides(actor, claim, path):
        if actor.in_scope_anywhere(path):
            return Forbidden("forbidden", "没有权限验收")
        return NotFound("claim_not_found", "揭榜记录不存在")
    return None


def _accept(actor, claim, task, facts) -> DomainError | None:
    if refused := claimant_refusal(actor, claim) or _state(CLAIM_MOVES, "accept", claim.state):
        return refused
    if task.state not in RUNNING_TASK_STATES:
        return Conflict("task_not_open", "任务已结束或取消")
    # Things may have changed since the offer (a registration withdrawn, an account suspended).
    return eligibility_refusal(task, facts.person(claim.person_id), claim.unit_id, facts)


def _claimant_move(action: str):
    def refusal(actor, claim, task, facts) -> DomainError | None:
        return claimant_refusal(actor, claim) or _state(CLAIM_MOVES, action, claim.state)

    return refusal


def _submit(actor, claim, task, facts) -> DomainError | None:
    if refused := claimant_refusal(actor, claim) or _state(CLAIM_MOVES, "submit", claim.state):
        return refused
    if task.state not in (*RUNNING_TASK_STATES, TaskState.DONE):
        return Conflict("task_not_open", "任务已取消")
    if task.starts_at > facts.now:
        return Conflict("task_not_started", "任务开始后才能提交")
    if task.requires_checkin and claim.state != ClaimState.CHECKED_IN:
        return Conflict("checkin_required", "这项任务需要先在现场扫码签到")
    return None


def pending_sides(actor: Actor, claim: Claim, path: str, side: str | None = None) -> list[str]:
    """The sides the actor may confirm and that have not confirmed yet (only `side`, if named)."""
    sides = [s for s in verifier_sides(actor, claim, path) if side is None or s == side]
    return [
        s
        for s in sides
        if (s == "community" and claim.community_verified_at is None)
        or (s == "unit" and claim.unit_verified_at is None)
    ]


def _verify(actor, claim, task, facts, side: str | None = None) -> DomainError | None:
    if refused := verifier_refusal(actor, claim, task, facts):
        return refused
    if side is not None and side not in ("community", "unit"):
        return DomainError("invalid_side", "side 应为 community 或 unit", 422)
    path = facts.path(task.community_id)
    if side is not None and side not in verifier_sides(actor, claim, path):
        return Forbidden("forbidden", "没有权限验收这一方")
    if task.state == TaskState.CANCELLED:
        return Conflict("task_not_open", "任务已取消，不能验收")
    if claim.state == ClaimState.VERIFIED:
        return Conflict("already_verified", "已经验收过了")
    if refused := _state(CLAIM_MOVES, "verify", claim.state):
        return refused
    pending = pending_sides(actor, claim, path, side)
    if not pending:
        return Conflict("already_verified", "这一方已经验收过了")
    other = claim.unit_verified_by_id if pending[0] == "community" else claim.community_verified_by_id
    if other == actor.person_id:
        return Forbidden("self_verify", "双向验单需由社区和单位两个人分别确认")
    return None


def _reject(actor, claim, task, facts) -> DomainError | None:
    return verifier_refusal(actor, claim, task, facts) or _state(CLAIM_MOVES, "reject", claim.state)


def _no_show(actor: Actor | None, claim, task, facts) -> DomainError | None:
    if actor is not None:
        if refused := verifier_refusal(actor, claim, task, facts):
            return refused
        if "community" not in verifier_sides(actor, claim, facts.path(task.community_id)):
            return Forbidden("forbidden", "只有社区工作人员可以标记未到场")
    if refused := _state(CLAIM_MOVES, "no-show", claim.state):
        return refused
    return Conflict("task_not_started", "任务开始后才能标记未到场") if task.starts_at > facts.now else None


_CLAIM_REFUSALS = {
    "accept": _accept,
    "decline": _claimant_move("decline"),
    "withdraw": _claimant_move("withdraw"),
    "submit": _submit,
    "verify": _verify,
    "reject": _reject,
    "no-show": _no_show,
}


def claim_refusal(
    actor: Actor | None, claim: Claim, task: Task, action: str, facts: Facts, **details
) -> DomainError | None:
    """Why `actor` may not take `action` on `claim` (of `task`) now, or None. `details`: the
    `side` a verification names."""
    return _CLAIM_REFUSALS[action](actor, claim, task, facts, **details)


def claim_actions(actor: Actor, claim: Claim, task: Task, facts: Facts) -> list[str]:
    """The actions `actor` may take on `claim` now."""
    return [action for action in CLAIM_ACTIONS if claim_refusal(actor, claim, task, action, facts) is None]


def allowed_claim_actions(actor: Actor, claim: Claim, now: datetime) -> list[str]:
    facts = Facts(actor, now)
    return claim_actions(actor, claim, facts.task(claim.task_id), facts)
