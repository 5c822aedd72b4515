"""Every change to a task: writing it, editing it, posting, closing, completing and cancelling it.

What each move needs first is in the task table (`rules.TASK_MOVES`); these functions raise what
`rules.task_refusal` answers, then make the change and audit it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from points.access import Actor
from points.audit.operations import audit
from points.board.models import LIVE_CLAIM_STATES, ClaimState, Eligibility, FillMode, Task, TaskState
from points.board.operations import rules
from points.board.queries import get_task, live_claim_count, task_claims
from points.db import session, utcnow
from points.errors import Conflict, DomainError
from points.labels import N_
from points.ledger import operations as ledger
from points.ledger.queries import award_states
from points.org.models import OrgNode
from points.org.queries import get_node, get_station
from points.signals import task_cancelled, task_completed

TASK_FIELDS = (
    "title",
    "description",
    "category",
    "station_id",
    "place",
    "starts_at",
    "ends_at",
    "claim_deadline",
    "slots",
    "eligibility",
    "reward_hongsong",
    "reward_xingan",
    "requires_checkin",
    "requires_unit_confirm",
    "allows_walk_in",
    "fill_mode",
)
# What may still change once a task is on the board: nothing that alters what people claimed.
POSTED_EDITABLE = ("description", "place", "slots", "claim_deadline")


def refuse_if(refusal: DomainError | None) -> None:
    if refusal is not None:
        raise refusal


def required_text(name: str, value: str | None, message: str) -> str:
    """A text that must say something once its blanks are trimmed; `message` says which."""
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{name}_required", message, 422, errors={name: [N_("必填")]})
    return value


def _community(community_id: int) -> OrgNode:
    node = get_node(community_id)
    if node.level != "community":
        raise DomainError("invalid_community", "任务只能由社区发布", 422)
    return node


def _check_task_values(values: dict, community: OrgNode) -> None:
    """The rules a task's fields obey together, whoever made or changed it. (Each field's own
    limits are the schemas'.)"""
    errors: dict[str, list[str]] = {}
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = [N_("结束时间应晚于开始时间")]
    if values["claim_deadline"] > values["ends_at"]:
        errors["claim_deadline"] = [N_("报名截止时间不能晚于结束时间")]
    if values["eligibility"] == Eligibility.UNITS and values["reward_xingan"]:
        errors["reward_xingan"] = [N_("只限单位揭榜的任务只能奖励红松分")]
    if values.get("station_id") is not None:
        station = get_station(values["station_id"])
        if not get_node(station.node_id).path.startswith(community.path):
            errors["station_id"] = [N_("站点不属于本社区")]
    if errors:
        raise DomainError("invalid_task", "任务信息有误", 422, errors=errors)


def _in_utc(values: dict) -> dict:
    """Times arrive in the caller's zone; they are kept (and answered) in UTC."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}


def create_task(
    *,
    actor: Actor,
    community_id: int,
    title: str,
    category: str,
    starts_at: datetime,
    ends_at: datetime,
    slots: int,
    eligibility: str,
    description: str = "",
    station_id: int | None = None,
    place: str = "",
    reward_hongsong: int = 0,
    reward_xingan: int = 0,
    requires_checkin: bool = False,
    requires_unit_confirm: bool = False,
    allows_walk_in: bool = False,
    fill_mode: str = FillMode.FIRST_COME,
    claim_deadline: datetime | None = None,
    post: bool = False,
    demand_id: int | None = None,
    now: datetime | None = None,
) -> Task:
    """Write a task as a draft, or put it straight on the board (`post`).

    Claims close at `claim_deadline`, by default when the task starts. With `fill_mode`
    `draw` or `fewer_recent` the task takes applications until then and fills its slots by
    a recorded draw (see `points.board.draw`). `demand_id`: the demand it answers.
    Needs `tasks.manage` over the community. Raises `invalid_task` (per-field errors),
    `title_required`, `deadline_passed` (when posting).
    """
    now = now or utcnow()
    community = _community(community_id)
    actor.require("tasks.manage", community.path)
    values = {name: value for name, value in locals().items() if name in TASK_FIELDS}
    values |= {
        "title": required_text("title", title, N_("请填写标题")),
        "description": description.strip(),
        "place": place.strip(),
        "claim_deadline": claim_deadline or starts_at,
    }
    _check_task_values(values, community)
    task = Task(
        community_id=community.id, created_by_id=actor.person_id, demand_id=demand_id, **_in_utc(values)
    )
    if post:
        refuse_if(rules.deadline_refusal(task.claim_deadline, now))
        task.state, task.posted_at = TaskState.POSTED, now
    session().add(task)
    audit(
        actor,
        "task.posted" if post else "task.created",
        task,
        detail={"title": task.title, "slots": slots},
        now=now,
    )
    return task


def update_task(*, actor: Actor, task_id: int, changes: dict, now: datetime | None = None) -> Task:
    """Change a draft freely; once posted only its description, place, slots (never below the
    live claims) and claim deadline. Raises `task_locked`, `slots_below_claims`, `invalid_task`."""
    now = now or utcnow()
    task = get_task(task_id, lock=True)
    facts = rules.Facts(actor, now)
    refuse_if(rules.manager_refusal(actor, task, facts))
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise DomainError(
            "invalid_input", "输入有误", 422, errors={k: [N_("不能修改")] for k in sorted(unknown)}
        )
    if not changes:
        return task
    on_board = task.state in (TaskState.POSTED, TaskState.CLOSED)
    if on_board and set(changes) - set(POSTED_EDITABLE):
        raise Conflict("task_locked", "任务已张榜，只能修改说明、地点、名额和报名截止时间")
    refuse_if(rules.task_refusal(actor, task, "update", facts))
    if "title" in changes:
        changes["title"] = required_text("title", changes["title"], N_("请填写标题"))
    values = {name: getattr(task, name) for name in TASK_FIELDS} | changes
    _check_task_values(values, get_node(task.community_id))
    if on_board:
        if values["slots"] < live_claim_count(task.id):
            raise Conflict("slots_below_claims", "名额不能少于已揭榜的人数")
        if "claim_deadline" in changes:
            refuse_if(rules.deadline_refusal(values["claim_deadline"], now))
    for name, value in _in_utc(changes).items():
        setattr(task, name, value.strip() if isinstance(value, str) else value)
    audit(actor, "task.updated", task, detail={"fields": sorted(changes)}, now=now)
    return task


_STAMPS = {TaskState.POSTED: "posted_at", TaskState.CLOSED: "closed_at", TaskState.DONE: "done_at"}


def _move_task(actor: Actor | None, task: Task, action: str, now: datetime) -> Task:
    """Take `action` (post, close, complete) on the locked task, or raise why not."""
    refuse_if(rules.task_refusal(actor, task, action, rules.Facts(actor, now)))
    (state,) = rules.TASK_MOVES[action].targets
    task.state = state
    setattr(task, _STAMPS[state], now)
    audit(actor, f"task.{state}", task, now=now)
    return task


def post_task(*, actor: Actor, task_id: int, now: datetime | None = None) -> Task:
    """Put a draft on the board. Raises `not_draft`, `deadline_passed`."""
    return _move_task(actor, get_task(task_id, lock=True), "post", now or utcnow())


def close_task(*, actor: Actor | None, task_id: int, now: datetime | None = None) -> Task:
    """Stop taking claims (staff, or the deadline job with no actor). Raises `not_posted`."""
    return _move_task(actor, get_task(task_id, lock=True), "close", now or utcnow())


def complete_task(*, actor: Actor, task_id: int, now: datetime | None = None) -> Task:
    """Mark a task done once it has started; the demand behind it is then done (and can be
    rated), through `task_completed`.

    Raises `task_not_started`, `not_open` (draft, done or cancelled)."""
    now = now or utcnow()
    task = _move_task(actor, get_task(task_id, lock=True), "complete", now)
    task_completed.send(task_id=task.id, demand_id=task.demand_id, actor_id=actor.person_id, now=now)
    return task


def cancel_task(*, actor: Actor, task_id: int, reason: str, now: datetime | None = None) -> Task:
    """Cancel a task that is not done: live claims are released, awards still pending are
    voided through the ledger, and a demand behind it goes back to be triaged (`task_cancelled`).

    Raises `reason_required`, `not_cancellable`."""
    now = now or utcnow()
    reason = required_text("reason", reason, N_("请填写取消原因"))
    task = get_task(task_id, lock=True)
    refuse_if(rules.task_refusal(actor, task, "cancel", rules.Facts(actor, now)))
    task.state, task.cancelled_at, task.cancel_reason = TaskState.CANCELLED, now, reason
    _release_claims(actor, task, reason, now)
    task_cancelled.send(task_id=task.id, demand_id=task.demand_id, actor_id=actor.person_id, now=now)
    audit(actor, "task.cancelled", task, detail={"reason": reason}, now=now)
    return task


def _release_claims(actor: Actor, task: Task, reason: str, now: datetime) -> None:
    """Release the live claims of a cancelled task, voiding their awards still pending."""
    # Locked (task first, then its claims, the order every claim operation keeps), so a
    # verification or withdrawal in flight is finished and seen, never overwritten.
    claims = task_claims(task.id, lock=True)
    awards = award_states([c.award_transfer_id for c in claims if c.award_transfer_id])
    for claim in claims:
        if claim.state not in LIVE_CLAIM_STATES:
            continue
        award = awards.get(claim.award_transfer_id)
        if award is not None and award["state"] != "pending":
            # Work verified and already paid (or refused) stays on record as it was decided;
            # taking paid points back is a reversal, a separate and deliberate act.
            continue
        if award is not None:
            ledger.withdraw_award(
                actor_id=actor.person_id,
                transfer_id=claim.award_transfer_id,
                reason=f"任务取消：{reason}",
                now=now,
            )
        claim.state, claim.reason, claim.updated_at = ClaimState.RELEASED, reason, now
