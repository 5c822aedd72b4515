"""Every change on the task board: tasks, claims, dispatch, demands, resources and projects.

Slots are counted from live claims under a lock on the task row (`SELECT … FOR
UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` transaction is the lock there),
and a partial unique index keeps one live claim per person or unit per task, so
parallel claims can never overfill a task or claim twice. Awards go through the
ledger's operations; their state is read from the ledger, never copied here.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.audit.operations import record
from points.board.models import (
    CATEGORIES,
    ELIGIBILITY,
    FILL_MODES,
    LIVE_CLAIM_STATES,
    SLOT_STATES,
    Claim,
    Demand,
    Project,
    ProjectResource,
    Resource,
    Task,
)
from points.board.queries import may_read_demand
from points.db import flush_or_conflict, session, utcnow
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.ledger import operations as ledger
from points.ledger.queries import award_states
from points.org.models import OrgNode
from points.org.queries import get_node, get_station, get_unit
from points.people.models import Person, RoleGrant
from points.people.queries import (
    acts_as_party_member,
    belongs_to_community,
    get_person,
    home_path,
    unit_reports_to,
)

TEXT_LIMITS = {
    "title": 100,
    "description": 2000,
    "place": 200,
    "note": 1000,
    "reason": 500,
    "details": 1000,
    "preferred_time": 100,
    "comment": 500,
    "availability": 200,
}
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
MAX_SLOTS = 10_000
MAX_REWARD = 100_000


def _check_texts(**texts: str | None) -> None:
    errors = {
        name: [f"最多 {TEXT_LIMITS[name]} 个字符"]
        for name, text in texts.items()
        if text is not None and len(text) > TEXT_LIMITS[name]
    }
    if errors:
        raise DomainError("invalid_input", "输入有误", 422, errors=errors)


def _required(name: str, value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"{name}_required", f"请填写{label}", 422, errors={name: ["必填"]})
    return value


def _check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise DomainError("invalid_category", "类别不存在", 422, errors={"category": ["类别不存在"]})


def _community(community_id: int) -> OrgNode:
    node = get_node(community_id)
    if node.level != "community":
        raise DomainError("invalid_community", "任务只能由社区发布", 422)
    return node


# --- tasks ----------------------------------------------------------------------------


def get_task(task_id: int, *, lock: bool = False) -> Task:
    stmt = select(Task).where(Task.id == task_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    task = session().exec(stmt).first()
    if task is None:
        raise NotFound("task_not_found", "任务不存在")
    return task


def _managed_task(actor: Actor, task_id: int, *, lock: bool = False) -> tuple[Task, OrgNode]:
    """A task the actor manages: outside their scope it is not found, whether or not it is on
    the public board; inside it without the role, 403."""
    task = get_task(task_id, lock=lock)
    node = get_node(task.community_id)
    if not actor.in_scope_anywhere(node.path):
        raise NotFound("task_not_found", "任务不存在")
    actor.require("tasks.manage", node.path)
    return task, node


def _check_task_values(values: dict, community: OrgNode, now: datetime) -> None:
    """The rules a task's fields obey together, whoever made or changed it."""
    errors: dict[str, list[str]] = {}
    _check_category(values["category"])
    if values["fill_mode"] not in FILL_MODES:
        errors["fill_mode"] = ["应为 first_come、draw 或 fewer_recent"]
    if values["eligibility"] not in ELIGIBILITY:
        errors["eligibility"] = ["应为 party_members、residents、units 或 anyone"]
    if not 1 <= values["slots"] <= MAX_SLOTS:
        errors["slots"] = [f"名额应在 1 到 {MAX_SLOTS} 之间"]
    for field in ("reward_hongsong", "reward_xingan"):
        if not 0 <= values[field] <= MAX_REWARD:
            errors[field] = [f"积分应在 0 到 {MAX_REWARD} 之间"]
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = ["结束时间应晚于开始时间"]
    if values["claim_deadline"] > values["ends_at"]:
        errors["claim_deadline"] = ["报名截止时间不能晚于结束时间"]
    if values["eligibility"] == "units" and values["reward_xingan"]:
        errors["reward_xingan"] = ["只限单位揭榜的任务只能奖励红松分"]
    if values.get("station_id") is not None:
        station = get_station(values["station_id"])
        if not get_node(station.node_id).path.startswith(community.path):
            errors["station_id"] = ["站点不属于本社区"]
    if errors:
        raise DomainError("invalid_task", "任务信息有误", 422, errors=errors)


def _in_utc(values: dict) -> dict:
    """Times arrive in the caller's zone; they are kept (and answered) in UTC."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}


def _check_open_to_claims(claim_deadline: datetime, now: datetime) -> None:
    if claim_deadline <= now:
        raise DomainError(
            "deadline_passed", "报名截止时间已过，不能张榜", 422, errors={"claim_deadline": ["应晚于现在"]}
        )


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
    fill_mode: str = "first_come",
    claim_deadline: datetime | None = None,
    post: bool = False,
    demand_id: int | None = None,
    now: datetime | None = None,
) -> Task:
    """Write a task as a draft, or put it straight on the board (`post`).

    Claims close at `claim_deadline`, by default when the task starts. With `fill_mode`
    `draw` or `fewer_recent` the task takes applications until then and fills its slots by
    a recorded draw (see `draw_task`).
    Needs `tasks.manage` over the community. Raises `invalid_task` (per-field errors),
    `invalid_category`, `title_required`, `deadline_passed` (when posting).
    """
    now = now or utcnow()
    community = _community(community_id)
    actor.require("tasks.manage", community.path)
    title = _required("title", title, "标题")
    _check_texts(title=title, description=description, place=place)
    values = {
        "title": title,
        "description": description.strip(),
        "category": category,
        "station_id": station_id,
        "place": place.strip(),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "claim_deadline": claim_deadline or starts_at,
        "slots": slots,
        "eligibility": eligibility,
        "reward_hongsong": reward_hongsong,
        "reward_xingan": reward_xingan,
        "requires_checkin": requires_checkin,
        "requires_unit_confirm": requires_unit_confirm,
        "allows_walk_in": allows_walk_in,
        "fill_mode": fill_mode,
    }
    _check_task_values(values, community, now)
    values = _in_utc(values)
    task = Task(community_id=community.id, created_by_id=actor.person_id, demand_id=demand_id, **values)
    if post:
        _check_open_to_claims(task.claim_deadline, now)
        task.state, task.posted_at = "posted", now
    session().add(task)
    session().flush()
    record(
        actor_id=actor.person_id,
        action="task.posted" if post else "task.created",
        target_type="task",
        target_id=task.id,
        node_id=community.id,
        detail={"title": title, "slots": slots},
        now=now,
    )
    return task


def update_task(*, actor: Actor, task_id: int, changes: dict, now: datetime | None = None) -> Task:
    """Change a draft freely; once posted only its description, place, slots (never below the
    live claims) and claim deadline. Raises `task_locked`, `slots_below_claims`, `invalid_task`."""
    now = now or utcnow()
    task, community = _managed_task(actor, task_id, lock=True)
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise DomainError("invalid_input", "输入有误", 422, errors={k: ["不能修改"] for k in sorted(unknown)})
    if not changes:
        return task
    if task.state in ("posted", "closed"):
        fixed = set(changes) - set(POSTED_EDITABLE)
        if fixed:
            raise Conflict("task_locked", "任务已张榜，只能修改说明、地点、名额和报名截止时间")
    elif task.state != "draft":
        raise Conflict("task_locked", "任务已结束或取消，不能修改")
    if "title" in changes:
        changes["title"] = _required("title", changes["title"], "标题")
    _check_texts(**{k: changes[k] for k in ("title", "description", "place") if k in changes})
    values = {field: getattr(task, field) for field in TASK_FIELDS} | changes
    _check_task_values(values, community, now)
    if task.state in ("posted", "closed"):
        if values["slots"] < live_claim_count(task.id):
            raise Conflict("slots_below_claims", "名额不能少于已揭榜的人数")
        if "claim_deadline" in changes:
            _check_open_to_claims(values["claim_deadline"], now)
    for field, value in _in_utc(changes).items():
        setattr(task, field, value.strip() if isinstance(value, str) else value)
    session().flush()
    record(
        actor_id=actor.person_id,
        action="task.updated",
        target_type="task",
        target_id=task.id,
        node_id=task.community_id,
        detail={"fields": sorted(changes)},
        now=now,
    )
    return task


def _move_task(actor: Actor | None, task: Task, state: str, action: str, now: datetime, **detail) -> Task:
    task.state = state
    setattr(task, {"posted": "posted_at", "closed": "closed_at", "done": "done_at"}[state], now)
    session().flush()
    record(
        actor_id=actor.person_id if actor else None,
        action=action,
        target_type="task",
        target_id=task.id,
        node_id=task.community_id,
        detail=detail or None,
        now=now,
    )
    return task


def post_task(*, actor: Actor, task_id: int, now: datetime | None = None) -> Task:
    """Put a draft on the board. Raises `not_draft`, `deadline_passed`."""
    now = now or utcnow()
    task, _ = _managed_task(actor, task_id, lock=True)
    if task.state != "draft":
        raise Conflict("not_draft", "只有草稿可以张榜")
    _check_open_to_claims(task.claim_deadline, now)
    return _move_task(actor, task, "posted", "task.posted", now)


def close_task(*, actor: Actor | None, task_id: int, now: datetime | None = None) -> Task:
    """Stop taking claims (staff, or the deadline job with no actor). Raises `not_posted`."""
    now = now or utcnow()
    task = _managed_task(actor, task_id, lock=True)[0] if actor else get_task(task_id, lock=True)
    if task.state != "posted":
        raise Conflict("not_posted", "只有张榜中的任务可以截止")
    return _move_task(actor, task, "closed", "task.closed", now)


def complete_task(*, actor: Actor, task_id: int, now: datetime | None = None) -> Task:
    """Mark a task done once it has started; its demand is then done and can be rated.

    Raises `task_not_started`, `not_open` (draft, done or cancelled)."""
    now = now or utcnow()
    task, _ = _managed_task(actor, task_id, lock=True)
    if task.state not in ("posted", "closed"):
        raise Conflict("not_open", "只有张榜中或已截止的任务可以完成")
    if task.starts_at > now:
        raise Conflict("task_not_started", "任务还没有开始")
    _move_task(actor, task, "done", "task.done", now)
    if task.demand_id is not None:
        demand = session().get(Demand, task.demand_id)
        if demand is not None and demand.state == "accepted":
            demand.state = "done"
            session().flush()
    return task


def cancel_task(*, actor: Actor, task_id: int, reason: str, now: datetime | None = None) -> Task:
    """Cancel a task that is not done: live claims are released, awards still pending are
    voided through the ledger, and a demand behind it goes back to be triaged.

    Raises `reason_required`, `not_cancellable`."""
    now = now or utcnow()
    reason = _required("reason", reason, "取消原因")
    _check_texts(reason=reason)
    task, _ = _managed_task(actor, task_id, lock=True)
    if task.state in ("done", "cancelled"):
        raise Conflict("not_cancellable", "已完成或已取消的任务不能取消")
    task.state, task.cancelled_at, task.cancel_reason = "cancelled", now, reason
    # Locked (task first, then its claims, the order every claim operation keeps), so a
    # verification or withdrawal in flight is finished and seen, never overwritten.
    claims = (
        session()
        .exec(
            select(Claim)
            .where(Claim.task_id == task.id)
            .order_by(Claim.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        .all()
    )
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
        claim.state, claim.reason, claim.updated_at = "released", reason, now
    if task.demand_id is not None:
        demand = session().get(Demand, task.demand_id)
        if demand is not None and demand.state == "accepted":
            demand.state = "open"
    session().flush()
    record(
        actor_id=actor.person_id,
        action="task.cancelled",
        target_type="task",
        target_id=task.id,
        node_id=task.community_id,
        detail={"reason": reason},
        now=now,
    )
    return task


# --- claims ---------------------------------------------------------------------------


def live_claim_count(task_id: int) -> int:
    return (
        session()
        .exec(
            select(sa.func.count())
            .select_from(Claim)
            .where(Claim.task_id == task_id, Claim.state.in_(SLOT_STATES))
        )
        .one()
    )


def get_claim(claim_id: int, *, lock: bool = False) -> Claim:
    stmt = select(Claim).where(Claim.id == claim_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    claim = session().exec(stmt).first()
    if claim is None:
        raise NotFound("claim_not_found", "揭榜记录不存在")
    return claim


def claim_kind(task: Task, *, person: Person | None, unit_id: int | None) -> str:
    """Units and party members earn 红松分 when the task offers them; everyone else 兴安分."""
    if unit_id is not None:
        return "hongsong"
    if task.reward_hongsong and acts_as_party_member(person):
        return "hongsong"
    return "xingan"


def claim_amount(task: Task, kind: str) -> int:
    return task.reward_hongsong if kind == "hongsong" else task.reward_xingan


def _check_eligible(task: Task, *, person: Person, unit_id: int | None) -> None:
    """Who may take this task: its eligibility, and belonging to its community."""
    if person.is_suspended:
        raise Forbidden("not_eligible", "账号已停用")
    if unit_id is not None:
        if task.eligibility not in ("units", "anyone"):
            raise Forbidden("not_eligible", "这项任务不接受单位揭榜")
        if not unit_reports_to(unit_id, task.community_id):
            raise Forbidden("not_eligible", "该单位还没有向本社区报到")
        return
    if task.eligibility == "units":
        raise Forbidden("not_eligible", "这项任务只接受单位揭榜")
    if task.eligibility == "party_members" and not acts_as_party_member(person):
        raise Forbidden("not_eligible", "这项任务只接受已到社区报到的党员揭榜")
    if not belongs_to_community(person, task.community_id):
        raise Forbidden("not_eligible", "只能揭本社区（居住或报到的社区）的任务")


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


def _take_slot(
    task: Task,
    *,
    person: Person,
    unit_id: int | None,
    state: str,
    now: datetime,
    dispatched_by_id: int | None = None,
    walk_in: bool = False,
) -> Claim:
    """Add a live claim if a slot is free; the caller holds the task lock."""
    if live_claim_count(task.id) >= task.slots:
        raise Conflict("task_full", "名额已满")
    return _add_claim(
        task,
        person=person,
        unit_id=unit_id,
        state=state,
        now=now,
        dispatched_by_id=dispatched_by_id,
        walk_in=walk_in,
    )


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
    claim = Claim(
        task_id=task.id,
        claimant_type="unit" if unit_id is not None else "person",
        person_id=person.id,
        unit_id=unit_id,
        kind=claim_kind(task, person=person, unit_id=unit_id),
        confirming_unit_id=_confirming_unit(task, person, unit_id),
        state=state,
        is_walk_in=walk_in,
        dispatched_by_id=dispatched_by_id,
        checked_in_at=now if state == "checked_in" else None,
        created_at=now,
        updated_at=now,
    )
    flush_or_conflict(
        "该单位已揭过这项任务" if unit_id is not None else "你已揭过这项任务",
        code="already_claimed",
        add=claim,
    )
    return claim


def claim_task(
    *, actor: Actor, task_id: int, unit_id: int | None = None, now: datetime | None = None
) -> Claim:
    """揭榜: take a slot for oneself, or for a unit one administers.

    The task must be posted and before its claim deadline. Raises `task_not_open`,
    `deadline_passed`, `task_full`, `already_claimed`, `not_eligible`, `forbidden`.
    """
    now = now or utcnow()
    if unit_id is not None:
        get_unit(unit_id)
        if not actor.administers_unit(unit_id):
            raise Forbidden("forbidden", "只有单位管理员可以代表单位揭榜")
    task = get_task(task_id, lock=True)
    if task.state == "draft" or task.state == "cancelled":
        raise NotFound("task_not_found", "任务不存在")
    if task.state != "posted":
        raise Conflict("task_not_open", "任务已截止，不能揭榜")
    if task.claim_deadline <= now:
        raise Conflict("deadline_passed", "报名已截止")
    person = get_person(actor.person_id)
    _check_eligible(task, person=person, unit_id=unit_id)
    if _live_claim_of(task.id, person_id=person.id, unit_id=unit_id) is not None:
        # Said before "full": the caller already holds what they ask for.
        if unit_id is not None:
            raise Conflict("already_claimed", "该单位已揭过这项任务")
        raise Conflict("already_claimed", "你已揭过这项任务")
    # After its draw a task fills what is left first come, first served: no later draw comes.
    if task.fill_mode == "first_come" or task.drawn_at is not None:
        claim = _take_slot(task, person=person, unit_id=unit_id, state="claimed", now=now)
    else:
        claim = _add_claim(task, person=person, unit_id=unit_id, state="applied", now=now)
    record(
        actor_id=actor.person_id,
        action="claim.created",
        target_type="claim",
        target_id=claim.id,
        node_id=task.community_id,
        unit_id=unit_id,
        detail={"task_id": task.id},
        now=now,
    )
    return claim


RECENT_DAYS = 90


def rank_applicants(applicants: list[tuple[int, int]], seed: str, mode: str) -> list[int]:
    """The order a draw fills slots in, from (claim id, recent verified claims) pairs.

    Pure and reproducible: anyone holding the seed and the applicants gets the same
    order. `draw` is a shuffle seeded by `seed`; `fewer_recent` puts those with fewer
    recent verified claims first, the shuffle breaking ties."""
    ids = sorted(claim_id for claim_id, _ in applicants)
    random.Random(seed).shuffle(ids)
    if mode == "fewer_recent":
        recent = dict(applicants)
        ids.sort(key=lambda claim_id: recent[claim_id])  # stable: ties keep the shuffled order
    return ids


def _recent_service(claims: list[Claim], since: datetime) -> dict[int, int]:
    """claim id -> how many claims its claimant had verified since `since` (two grouped reads)."""
    counts: dict[tuple[str, int], int] = {}
    for claimant_type, column in (("person", Claim.person_id), ("unit", Claim.unit_id)):
        owners = sorted(
            {
                c.unit_id if claimant_type == "unit" else c.person_id
                for c in claims
                if c.claimant_type == claimant_type
            }
        )
        if not owners:
            continue
        rows = session().exec(
            select(column, sa.func.count())
            .where(
                Claim.claimant_type == claimant_type,
                column.in_(owners),
                Claim.state == "verified",
                Claim.updated_at >= since,
            )
            .group_by(column)
        )
        counts.update({(claimant_type, owner): n for owner, n in rows})
    return {
        c.id: counts.get((c.claimant_type, c.unit_id if c.claimant_type == "unit" else c.person_id), 0)
        for c in claims
    }


def draw_task(*, actor: Actor | None, task_id: int, now: datetime | None = None) -> Task:
    """Fill the slots of a task that took applications, once its claim deadline passed
    (staff, or the deadline job with no actor). Winners are claimed, the rest not selected.

    The seed is random, drawn at that moment, kept on the task, and the applicants with the
    resulting order go to the audit log: `rank_applicants` re-runs it from that record.
    Raises `not_a_draw`, `already_drawn`, `task_not_open`, `deadline_not_passed`.
    """
    now = now or utcnow()
    task = _managed_task(actor, task_id, lock=True)[0] if actor else get_task(task_id, lock=True)
    if task.fill_mode == "first_come":
        raise Conflict("not_a_draw", "这项任务先到先得，不抽签")
    if task.drawn_at is not None:
        raise Conflict("already_drawn", "已经抽过签了")
    if task.state not in ("posted", "closed"):
        raise Conflict("task_not_open", "任务已完成或已取消")
    if task.claim_deadline > now:
        raise Conflict("deadline_not_passed", "报名截止后才能抽签")
    applicants = list(
        session().exec(
            select(Claim).where(Claim.task_id == task.id, Claim.state == "applied").order_by(Claim.id)
        )
    )
    # Drawn now, not derived from anything known before: nobody can compute the result early
    # or re-roll it by applying again. Recorded with the applicants, it can be re-run by anyone.
    seed = secrets.token_hex(32)
    recent = (
        _recent_service(applicants, now - timedelta(days=RECENT_DAYS))
        if task.fill_mode == "fewer_recent"
        else {}
    )
    order = rank_applicants([(c.id, recent.get(c.id, 0)) for c in applicants], seed, task.fill_mode)
    free = max(task.slots - live_claim_count(task.id), 0)
    by_id = {c.id: c for c in applicants}
    for position, claim_id in enumerate(order):
        claim = by_id[claim_id]
        claim.state, claim.updated_at = ("claimed" if position < free else "not_selected"), now
    task.draw_seed, task.drawn_at = seed, now
    session().flush()
    record(
        actor_id=actor.person_id if actor else None,
        action="task.drawn",
        target_type="task",
        target_id=task.id,
        node_id=task.community_id,
        detail={
            "seed": seed,
            "mode": task.fill_mode,
            "slots": free,
            "applicants": [c.id for c in applicants],
            "order": order,
            "recent": recent or None,
        },
        now=now,
    )
    return task


def _live_claim_of(task_id: int, *, person_id: int, unit_id: int | None) -> Claim | None:
    if unit_id is not None:
        mine = sa.and_(Claim.claimant_type == "unit", Claim.unit_id == unit_id)
    else:
        mine = sa.and_(Claim.claimant_type == "person", Claim.person_id == person_id)
    return (
        session()
        .exec(select(Claim).where(Claim.task_id == task_id, mine, Claim.state.in_(LIVE_CLAIM_STATES)))
        .first()
    )


def dispatch_task(
    *,
    actor: Actor,
    task_id: int,
    person_id: int | None = None,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> Claim:
    """派单: offer a slot to a named person or unit; the slot is held until they answer.

    Raises `assignee_required`, `task_not_open`, `task_full`, `already_claimed`,
    `not_eligible` (the assignee may not take this task).
    """
    now = now or utcnow()
    if (person_id is None) == (unit_id is None):
        raise DomainError("assignee_required", "请指定一个人或一个单位", 422)
    task, _ = _managed_task(actor, task_id, lock=True)
    if task.state not in ("posted", "closed"):
        raise Conflict("task_not_open", "只有张榜中或已截止的任务可以派单")
    if unit_id is not None:
        get_unit(unit_id)
        contact = _unit_contact(unit_id)
    else:
        contact = session().get(Person, person_id)
        # Staff offer work to people of the task's community; whether anyone else exists is
        # not theirs to learn.
        if contact is None or not belongs_to_community(contact, task.community_id):
            raise NotFound("person_not_found", "人员不存在")
    _check_eligible(task, person=contact, unit_id=unit_id)
    if _live_claim_of(task.id, person_id=contact.id, unit_id=unit_id) is not None:
        raise Conflict("already_claimed", "对方已揭过这项任务")
    claim = _take_slot(
        task, person=contact, unit_id=unit_id, state="offered", now=now, dispatched_by_id=actor.person_id
    )
    record(
        actor_id=actor.person_id,
        action="task.dispatched",
        target_type="claim",
        target_id=claim.id,
        node_id=task.community_id,
        unit_id=unit_id,
        detail={"task_id": task.id, "person_id": person_id, "unit_id": unit_id},
        now=now,
    )
    return claim


def _unit_contact(unit_id: int) -> Person:
    """Who answers for a unit: its first admin (a unit without one cannot be dispatched to)."""

    person = (
        session()
        .exec(
            select(Person)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(
                RoleGrant.role == "unit_admin", RoleGrant.unit_id == unit_id, Person.is_suspended.is_(False)
            )
            .order_by(RoleGrant.id)
        )
        .first()
    )
    if person is None:
        raise DomainError("unit_without_admin", "该单位没有管理员，无法派单", 422)
    return person


def _own_claim(actor: Actor, claim_id: int) -> Claim:
    """A claim the actor answers for: their own, or their unit's. Others get 404."""
    claim = get_claim(claim_id, lock=True)
    if claim.claimant_type == "unit":
        if not actor.administers_unit(claim.unit_id):
            raise NotFound("claim_not_found", "揭榜记录不存在")
    elif claim.person_id != actor.person_id:
        raise NotFound("claim_not_found", "揭榜记录不存在")
    return claim


def _claim_move(
    actor_id: int | None, claim: Claim, state: str, action: str, now: datetime, **detail
) -> Claim:
    claim.state, claim.updated_at = state, now
    session().flush()
    task = session().get(Task, claim.task_id)
    record(
        actor_id=actor_id,
        action=action,
        target_type="claim",
        target_id=claim.id,
        node_id=task.community_id,
        unit_id=claim.unit_id,
        detail={"task_id": claim.task_id, **detail},
        now=now,
    )
    return claim


def accept_dispatch(*, actor: Actor, claim_id: int, now: datetime | None = None) -> Claim:
    """Take on a dispatched task. Raises `not_offered`, `task_not_open`, `not_eligible`."""
    now = now or utcnow()
    claim = _own_claim(actor, claim_id)
    if claim.state != "offered":
        raise Conflict("not_offered", "这不是待接的派单")
    task = get_task(claim.task_id)
    if task.state not in ("posted", "closed"):
        raise Conflict("task_not_open", "任务已结束或取消")
    # Things may have changed since the offer (a registration withdrawn, an account suspended).
    _check_eligible(task, person=get_person(claim.person_id), unit_id=claim.unit_id)
    return _claim_move(actor.person_id, claim, "claimed", "claim.accepted", now)


def decline_dispatch(*, actor: Actor, claim_id: int, reason: str = "", now: datetime | None = None) -> Claim:
    """Turn a dispatched task down; its slot opens again. Raises `not_offered`."""
    now = now or utcnow()
    _check_texts(reason=reason)
    claim = _own_claim(actor, claim_id)
    if claim.state != "offered":
        raise Conflict("not_offered", "这不是待接的派单")
    claim.reason = reason.strip()
    return _claim_move(actor.person_id, claim, "declined", "claim.declined", now)


def withdraw_claim(*, actor: Actor, claim_id: int, reason: str = "", now: datetime | None = None) -> Claim:
    """Give a slot back before verification; it opens again. Raises `not_withdrawable`."""
    now = now or utcnow()
    _check_texts(reason=reason)
    claim = _own_claim(actor, claim_id)
    if claim.state not in ("applied", "claimed", "checked_in", "submitted"):
        raise Conflict("not_withdrawable", "当前状态不能退出")
    claim.reason = reason.strip()
    return _claim_move(actor.person_id, claim, "withdrawn", "claim.withdrawn", now)


def check_in_claim(*, task_id: int, person_id: int, now: datetime | None = None) -> int:
    """A check-in at the task's activity: mark the person's live claim (or their work unit's)
    as checked in, or claim a free slot on the spot when the task allows walk-ins.

    Idempotent: a claim already checked in or further along is returned unchanged.
    Raises `not_claimed`, `task_not_open`, `task_full`, `not_eligible`.
    """
    now = now or utcnow()
    task = get_task(task_id, lock=True)
    person = get_person(person_id)
    candidates = [("person", person.id)]
    if person.work_unit_id is not None:
        candidates.append(("unit", person.work_unit_id))
    for claimant_type, owner_id in candidates:
        column = Claim.person_id if claimant_type == "person" else Claim.unit_id
        claim = (
            session()
            .exec(
                select(Claim)
                .where(
                    Claim.task_id == task.id,
                    Claim.claimant_type == claimant_type,
                    column == owner_id,
                    Claim.state.in_(LIVE_CLAIM_STATES),
                )
                .with_for_update()
            )
            .first()
        )
        if claim is None:
            continue
        if claim.state == "offered":
            raise Conflict("not_claimed", "请先接受派单再签到")
        if claim.state == "applied":
            raise Conflict("not_claimed", "抽签结果公布前不能签到")
        if claim.state == "claimed":
            # A unit's claim counts as attended once one of its members checks in.
            claim.state, claim.checked_in_at, claim.updated_at = "checked_in", now, now
            session().flush()
        return claim.id
    # Walk-ins come while the task runs, usually after claims closed; the slots still hold.
    if task.state not in ("posted", "closed") or not task.allows_walk_in or task.ends_at <= now:
        raise Conflict("not_claimed", "你还没有揭这项任务，请先揭榜")
    _check_eligible(task, person=person, unit_id=None)
    claim = _take_slot(task, person=person, unit_id=None, state="checked_in", now=now, walk_in=True)
    record(
        actor_id=person.id,
        action="claim.walk_in",
        target_type="claim",
        target_id=claim.id,
        node_id=task.community_id,
        detail={"task_id": task.id},
        now=now,
    )
    return claim.id


def submit_claim(*, actor: Actor, claim_id: int, note: str = "", now: datetime | None = None) -> Claim:
    """Report the work done, with a note, for verification.

    Raises `not_submittable`, `checkin_required` (the task needs a QR check-in first),
    `task_not_started`, `task_not_open`."""
    now = now or utcnow()
    _check_texts(note=note)
    claim = _own_claim(actor, claim_id)
    task = get_task(claim.task_id)
    if claim.state not in ("claimed", "checked_in"):
        raise Conflict("not_submittable", "当前状态不能提交")
    if task.state not in ("posted", "closed", "done"):
        raise Conflict("task_not_open", "任务已取消")
    if task.starts_at > now:
        raise Conflict("task_not_started", "任务开始后才能提交")
    if task.requires_checkin and claim.state != "checked_in":
        raise Conflict("checkin_required", "这项任务需要先在现场扫码签到")
    claim.note, claim.submitted_at = note.strip(), now
    return _claim_move(actor.person_id, claim, "submitted", "claim.submitted", now)


def _sides_for(actor: Actor, claim: Claim, community_path: str) -> list[str]:
    sides = []
    if actor.can("claims.verify", community_path):
        sides.append("community")
    if claim.confirming_unit_id is not None and actor.administers_unit(claim.confirming_unit_id):
        sides.append("unit")
    return sides


def _verifiable(actor: Actor, claim_id: int) -> tuple[Claim, Task, list[str]]:
    """The claim with the sides the actor may act on; 404 when they may act on none.

    Locks the task, then the claim: a cancellation holding the task waits for nothing here,
    and this waits for it, then finds the task cancelled."""
    task = get_task(get_claim(claim_id).task_id, lock=True)
    claim = get_claim(claim_id, lock=True)
    path = get_node(task.community_id).path
    if claim.person_id == actor.person_id or (claim.unit_id is not None and claim.unit_id in actor.unit_ids):
        # The claimant sees their claim, so this is a refusal, not a secret.
        raise Forbidden("self_verify", "不能验收自己或本单位的揭榜")
    sides = _sides_for(actor, claim, path)
    if not sides:
        if actor.in_scope_anywhere(path):
            raise Forbidden("forbidden", "没有权限验收")
        raise NotFound("claim_not_found", "揭榜记录不存在")
    return claim, task, sides


def verify_claim(
    *, actor: Actor, claim_id: int, side: str | None = None, now: datetime | None = None
) -> Claim:
    """双向验单: the community side (staff) and, when the task asks, the unit side (the
    confirming unit's admin) each confirm a submitted claim once. When every side has
    confirmed, the claim is verified and its award is asked of the ledger, pending approval
    by someone who did not verify it.

    Raises `not_submitted`, `already_verified`, `invalid_side`, `self_verify`, and what the
    ledger raises (`budget_exceeded`, `wrong_kind`).
    """
    now = now or utcnow()
    claim, task, sides = _verifiable(actor, claim_id)
    if side is not None:
        if side not in ("community", "unit"):
            raise DomainError("invalid_side", "side 应为 community 或 unit", 422)
        if side not in sides:
            raise Forbidden("forbidden", "没有权限验收这一方")
        sides = [side]
    if task.state == "cancelled":
        raise Conflict("task_not_open", "任务已取消，不能验收")
    if claim.state == "verified":
        raise Conflict("already_verified", "已经验收过了")
    if claim.state != "submitted":
        raise Conflict("not_submitted", "还没有提交，不能验收")
    pending = [
        s
        for s in sides
        if (s == "community" and claim.community_verified_at is None)
        or (s == "unit" and claim.unit_verified_at is None)
    ]
    if not pending:
        raise Conflict("already_verified", "这一方已经验收过了")
    acting = pending[0]
    other = claim.unit_verified_by_id if acting == "community" else claim.community_verified_by_id
    if other == actor.person_id:
        raise Forbidden("self_verify", "双向验单需由社区和单位两个人分别确认")
    if acting == "community":
        claim.community_verified_by_id, claim.community_verified_at = actor.person_id, now
    else:
        claim.unit_verified_by_id, claim.unit_verified_at = actor.person_id, now
    complete = claim.community_verified_at is not None and (
        claim.confirming_unit_id is None or claim.unit_verified_at is not None
    )
    claim.updated_at = now
    if complete:
        claim.state = "verified"
        amount = claim_amount(task, claim.kind)
        if amount > 0:
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
    session().flush()
    record(
        actor_id=actor.person_id,
        action="claim.verified",
        target_type="claim",
        target_id=claim.id,
        node_id=task.community_id,
        unit_id=claim.confirming_unit_id if acting == "unit" else None,
        detail={"task_id": task.id, "side": acting, "complete": complete},
        now=now,
    )
    return claim


def reject_claim(*, actor: Actor, claim_id: int, reason: str, now: datetime | None = None) -> Claim:
    """Refuse a claim that is not verified yet, with a reason (either side may).

    Raises `reason_required`, `not_rejectable`, `self_verify`."""
    now = now or utcnow()
    reason = _required("reason", reason, "原因")
    _check_texts(reason=reason)
    claim, _, _ = _verifiable(actor, claim_id)
    if claim.state not in ("claimed", "checked_in", "submitted"):
        raise Conflict("not_rejectable", "当前状态不能驳回")
    claim.reason, claim.decided_by_id = reason, actor.person_id
    return _claim_move(actor.person_id, claim, "rejected", "claim.rejected", now, reason=reason)


def mark_no_show(*, actor: Actor | None, claim_id: int, now: datetime | None = None) -> Claim:
    """Someone who claimed did not come (staff, after the task started; or the job after it
    ended). Their slot is freed. Raises `not_claimed`, `task_not_started`."""
    now = now or utcnow()
    if actor is not None:
        claim, task, sides = _verifiable(actor, claim_id)
        if "community" not in sides:
            raise Forbidden("forbidden", "只有社区工作人员可以标记未到场")
    else:
        claim = get_claim(claim_id, lock=True)
        task = get_task(claim.task_id)
    if claim.state not in ("claimed", "offered"):
        raise Conflict("not_claimed", "只有已揭榜未签到的记录可以标记未到场")
    if task.starts_at > now:
        raise Conflict("task_not_started", "任务开始后才能标记未到场")
    if actor is not None:
        claim.decided_by_id = actor.person_id
    # The job declines dispatches nobody answered; staff who saw nobody come mark a no-show.
    state = "declined" if claim.state == "offered" and actor is None else "no_show"
    return _claim_move(actor.person_id if actor else None, claim, state, f"claim.{state}", now)


# --- demands --------------------------------------------------------------------------


def get_demand(demand_id: int, *, lock: bool = False) -> Demand:
    stmt = select(Demand).where(Demand.id == demand_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    demand = session().exec(stmt).first()
    if demand is None:
        raise NotFound("demand_not_found", "需求不存在")
    return demand


def request_help(
    *,
    actor: Actor,
    category: str,
    details: str,
    place: str = "",
    preferred_time: str = "",
    requester_id: int | None = None,
    now: datetime | None = None,
) -> Demand:
    """居民点单: a resident asks for help, or a grid worker or staff member asks for a resident
    of their grid or community (`requester_id`).

    Raises `details_required`, `invalid_category`, `no_home_community`, `forbidden`."""
    now = now or utcnow()
    _check_category(category)
    details = _required("details", details, "需求内容")
    _check_texts(details=details, place=place, preferred_time=preferred_time)
    if requester_id is None or requester_id == actor.person_id:
        requester = get_person(actor.person_id)
    else:
        requester = get_person(requester_id)
        path = home_path(requester)
        if path is None or not actor.in_scope_anywhere(path):
            raise NotFound("person_not_found", "人员不存在")
        actor.require("help.request_for", path)
    if requester.community_id is None:
        raise DomainError("no_home_community", "请先设置所在社区，再提出需求", 422)
    demand = Demand(
        community_id=requester.community_id,
        grid_id=requester.grid_id,
        requester_id=requester.id,
        created_by_id=actor.person_id,
        category=category,
        details=details,
        place=place.strip(),
        preferred_time=preferred_time.strip(),
        created_at=now,
    )
    session().add(demand)
    session().flush()
    record(
        actor_id=actor.person_id,
        action="demand.created",
        target_type="demand",
        target_id=demand.id,
        node_id=demand.community_id,
        detail={"category": category, "for": requester.id},
        now=now,
    )
    return demand


def _triaged(actor: Actor, demand_id: int) -> Demand:
    """A demand the actor may triage. Whoever may read it (its requester, the grid worker)
    is refused with 403; everyone else finds nothing."""

    demand = get_demand(demand_id, lock=True)
    path = get_node(demand.community_id).path
    if actor.can("demands.triage", path):
        return demand
    if may_read_demand(actor, demand) or actor.in_scope_anywhere(path):
        raise Forbidden("forbidden", "没有权限处理点单")
    raise NotFound("demand_not_found", "需求不存在")


def accept_demand(
    *,
    actor: Actor,
    demand_id: int,
    task: dict,
    dispatch_person_id: int | None = None,
    dispatch_unit_id: int | None = None,
    now: datetime | None = None,
) -> Task:
    """Turn an open demand into a posted task (its fields in `task`, as for `create_task`),
    optionally dispatched at once to a named person or unit.

    Raises `not_open` and what `create_task` and `dispatch_task` raise."""
    now = now or utcnow()
    demand = _triaged(actor, demand_id)
    if demand.state != "open":
        raise Conflict("not_open", "这条需求已经处理过了")
    made = create_task(
        actor=actor,
        community_id=demand.community_id,
        post=True,
        demand_id=demand.id,
        now=now,
        **{"category": demand.category, **task},
    )
    demand.state, demand.decided_by_id, demand.decided_at = "accepted", actor.person_id, now
    session().flush()
    if dispatch_person_id is not None or dispatch_unit_id is not None:
        dispatch_task(
            actor=actor, task_id=made.id, person_id=dispatch_person_id, unit_id=dispatch_unit_id, now=now
        )
    record(
        actor_id=actor.person_id,
        action="demand.accepted",
        target_type="demand",
        target_id=demand.id,
        node_id=demand.community_id,
        detail={"task_id": made.id},
        now=now,
    )
    return made


def decline_demand(*, actor: Actor, demand_id: int, reason: str, now: datetime | None = None) -> Demand:
    """Decline an open demand with a reason the resident sees. Raises `reason_required`, `not_open`."""
    now = now or utcnow()
    reason = _required("reason", reason, "原因")
    _check_texts(reason=reason)
    demand = _triaged(actor, demand_id)
    if demand.state != "open":
        raise Conflict("not_open", "这条需求已经处理过了")
    demand.state, demand.decline_reason = "declined", reason
    demand.decided_by_id, demand.decided_at = actor.person_id, now
    session().flush()
    record(
        actor_id=actor.person_id,
        action="demand.declined",
        target_type="demand",
        target_id=demand.id,
        node_id=demand.community_id,
        detail={"reason": reason},
        now=now,
    )
    return demand


def _requested_by(actor: Actor, demand_id: int) -> Demand:
    """A demand of the actor's own; anyone else's is not found (and staff act through triage)."""
    demand = get_demand(demand_id, lock=True)
    if demand.requester_id != actor.person_id:
        raise NotFound("demand_not_found", "需求不存在")
    return demand


def withdraw_demand(*, actor: Actor, demand_id: int, now: datetime | None = None) -> Demand:
    """The requester takes back a demand nobody has acted on yet. Raises `not_open`."""
    now = now or utcnow()
    demand = _requested_by(actor, demand_id)
    if demand.state != "open":
        raise Conflict("not_open", "需求已受理或已处理，不能撤回")
    demand.state = "withdrawn"
    session().flush()
    record(
        actor_id=actor.person_id,
        action="demand.withdrawn",
        target_type="demand",
        target_id=demand.id,
        node_id=demand.community_id,
        now=now,
    )
    return demand


def rate_demand(
    *, actor: Actor, demand_id: int, rating: int, comment: str = "", now: datetime | None = None
) -> Demand:
    """双评价: the requester rates the service once, 1–5, after its task is done.

    Raises `invalid_rating`, `not_done`, `already_rated`."""
    now = now or utcnow()
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise DomainError("invalid_rating", "评分应为 1 到 5", 422, errors={"rating": ["应为 1 到 5 的整数"]})
    _check_texts(comment=comment)
    demand = _requested_by(actor, demand_id)
    if demand.state != "done":
        raise Conflict("not_done", "服务完成后才能评价")
    # Conditional, so two racing ratings cannot both land.
    updated = session().exec(
        sa.update(Demand)
        .where(Demand.id == demand.id, Demand.rated_at.is_(None))
        .values(rating=rating, comment=comment.strip(), rated_at=now)
    )
    if updated.rowcount != 1:
        raise Conflict("already_rated", "已经评价过了")
    session().refresh(demand)
    record(
        actor_id=actor.person_id,
        action="demand.rated",
        target_type="demand",
        target_id=demand.id,
        node_id=demand.community_id,
        detail={"rating": rating},
        now=now,
    )
    return demand


# --- resources and projects -----------------------------------------------------------


def declare_resource(
    *,
    actor: Actor,
    community_id: int,
    category: str,
    description: str,
    capacity: int = 1,
    availability: str = "",
    unit_id: int | None = None,
    now: datetime | None = None,
) -> Resource:
    """资源清单: a party member (for themselves) or a unit admin (for the unit) declares what
    they offer a community they reported to.

    Raises `not_eligible`, `invalid_category`, `description_required`, `invalid_capacity`."""
    now = now or utcnow()
    community = _community(community_id)
    _check_category(category)
    description = _required("description", description, "资源说明")
    _check_texts(description=description, availability=availability)
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_SLOTS:
        raise DomainError(
            "invalid_capacity", "数量应为正整数", 422, errors={"capacity": [f"应在 1 到 {MAX_SLOTS} 之间"]}
        )
    if unit_id is not None:
        get_unit(unit_id)
        if not actor.administers_unit(unit_id):
            raise Forbidden("forbidden", "只有单位管理员可以代表单位登记资源")
        if not unit_reports_to(unit_id, community.id):
            raise Forbidden("not_eligible", "该单位还没有向本社区报到")
    else:
        person = get_person(actor.person_id)
        if not acts_as_party_member(person) or not belongs_to_community(person, community.id):
            raise Forbidden("not_eligible", "只有向本社区报到的党员或单位可以登记资源")
    resource = Resource(
        community_id=community.id,
        owner_type="unit" if unit_id is not None else "person",
        person_id=actor.person_id,
        unit_id=unit_id,
        category=category,
        description=description,
        capacity=capacity,
        availability=availability.strip(),
        created_at=now,
    )
    session().add(resource)
    session().flush()
    record(
        actor_id=actor.person_id,
        action="resource.declared",
        target_type="resource",
        target_id=resource.id,
        node_id=community.id,
        unit_id=unit_id,
        now=now,
    )
    return resource


def retire_resource(*, actor: Actor, resource_id: int, now: datetime | None = None) -> Resource:
    """Stop offering a resource (its owner, or staff of the community). Past projects keep it."""
    resource = session().get(Resource, resource_id)
    if resource is None:
        raise NotFound("resource_not_found", "资源不存在")
    own = (resource.owner_type == "person" and resource.person_id == actor.person_id) or (
        resource.unit_id is not None and actor.administers_unit(resource.unit_id)
    )
    if not own:
        actor.require("demands.triage", get_node(resource.community_id).path)
    resource.is_active = False
    session().flush()
    record(
        actor_id=actor.person_id,
        action="resource.retired",
        target_type="resource",
        target_id=resource.id,
        node_id=resource.community_id,
        now=now,
    )
    return resource


def create_project(
    *, actor: Actor, demand_id: int, resource_ids: list[int], title: str = "", now: datetime | None = None
) -> Project:
    """项目清单: staff confirm a match of a demand with resources of its community.

    Raises `resources_required`, `resource_unavailable`, `demand_closed`, `project_exists`."""
    now = now or utcnow()
    demand = _triaged(actor, demand_id)
    if demand.state in ("declined", "withdrawn"):
        raise Conflict("demand_closed", "需求已关闭，不能立项")
    ids = list(dict.fromkeys(resource_ids))
    if not ids:
        raise DomainError("resources_required", "请至少选择一项资源", 422, errors={"resource_ids": ["必填"]})
    title = (title or "").strip() or f"{demand.category}：{demand.details[:40]}"
    _check_texts(title=title)
    found = session().exec(select(Resource).where(Resource.id.in_(ids))).all()
    usable = {r.id for r in found if r.is_active and r.community_id == demand.community_id}
    missing = [i for i in ids if i not in usable]
    if missing:
        raise DomainError(
            "resource_unavailable",
            "有资源不存在、已停用或不属于本社区",
            422,
            errors={"resource_ids": [f"不可用：{', '.join(map(str, missing))}"]},
        )
    project = Project(
        community_id=demand.community_id,
        demand_id=demand.id,
        title=title,
        confirmed_by_id=actor.person_id,
        created_at=now,
    )
    flush_or_conflict("这条需求已经立项", code="project_exists", add=project)
    for resource_id in ids:
        session().add(ProjectResource(project_id=project.id, resource_id=resource_id))
    session().flush()
    record(
        actor_id=actor.person_id,
        action="project.confirmed",
        target_type="project",
        target_id=project.id,
        node_id=demand.community_id,
        detail={"demand_id": demand.id, "resource_ids": ids},
        now=now,
    )
    return project
