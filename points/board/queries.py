"""Reads of the board: tasks and claims a caller may see and claim, queues, the trail behind an
award, and the live claims that count a task's slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.board.models import (
    LIVE_CLAIM_STATES,
    PUBLIC_TASK_STATES,
    SLOT_STATES,
    Claim,
    ClaimState,
    FillMode,
    Task,
    TaskState,
)
from points.db import get_row, session
from points.errors import NotFound
from points.ledger.queries import award_states
from points.org.models import OrgNode, Station, Unit
from points.org.queries import community_ids_where, get_node
from points.pagination import Cursor, keyset
from points.people.models import Person, Registration, RoleGrant
from points.people.queries import acts_as_party_member, get_person

# Lists on pages show this many rows at most.
PAGE_ROWS = 200

LIVE_COUNT = (
    select(sa.func.count(Claim.id))
    .where(Claim.task_id == Task.id, Claim.state.in_(SLOT_STATES))
    .correlate(Task)
    .scalar_subquery()
)


# --- single rows ---------------------------------------------------------------------------


def get_task(task_id: int, *, lock: bool = False) -> Task:
    return get_row(Task, task_id, NotFound("task_not_found", "任务不存在"), lock=lock)


def get_claim(claim_id: int, *, lock: bool = False) -> Claim:
    return get_row(Claim, claim_id, NotFound("claim_not_found", "揭榜记录不存在"), lock=lock)


def tasks_by_id(task_ids: list[int]) -> list[Task]:
    """These tasks, in one read."""
    if not task_ids:
        return []
    return list(session().exec(select(Task).where(Task.id.in_(task_ids))))


def community_path(community_id: int) -> str:
    return get_node(community_id).path


def live_claim_count(task_id: int) -> int:
    """Claims holding a slot of the task."""
    return (
        session()
        .exec(
            select(sa.func.count())
            .select_from(Claim)
            .where(Claim.task_id == task_id, Claim.state.in_(SLOT_STATES))
        )
        .one()
    )


def live_claim_of(task_id: int, *, person_id: int, unit_id: int | None, lock: bool = False) -> Claim | None:
    """The live claim (or application) of a person, or of a unit when `unit_id` is given."""
    if unit_id is not None:
        mine = sa.and_(Claim.claimant_type == "unit", Claim.unit_id == unit_id)
    else:
        mine = sa.and_(Claim.claimant_type == "person", Claim.person_id == person_id)
    stmt = select(Claim).where(Claim.task_id == task_id, mine, Claim.state.in_(LIVE_CLAIM_STATES))
    return session().exec(stmt.with_for_update() if lock else stmt).first()


def live_claims_of(person_id: int, task_ids: list[int]) -> dict[int, int]:
    """task id -> the caller's own live claim id, for marking the board."""
    if not task_ids:
        return {}
    rows = session().exec(
        select(Claim.task_id, Claim.id).where(
            Claim.task_id.in_(task_ids),
            Claim.claimant_type == "person",
            Claim.person_id == person_id,
            Claim.state.in_(LIVE_CLAIM_STATES),
        )
    )
    return dict(rows.all())


def claim_states(claim_ids: list[int]) -> dict[int, str]:
    """claim id -> its state."""
    if not claim_ids:
        return {}
    return dict(session().exec(select(Claim.id, Claim.state).where(Claim.id.in_(claim_ids))).all())


def live_unit_claims(unit_ids: list[int], task_ids: list[int]) -> set[tuple[int, int]]:
    """(task id, unit id) of the units' live claims on these tasks."""
    if not unit_ids or not task_ids:
        return set()
    rows = session().exec(
        select(Claim.task_id, Claim.unit_id).where(
            Claim.task_id.in_(task_ids),
            Claim.claimant_type == "unit",
            Claim.unit_id.in_(unit_ids),
            Claim.state.in_(LIVE_CLAIM_STATES),
        )
    )
    return {(task_id, unit_id) for task_id, unit_id in rows}


def task_claims(task_id: int, *, lock: bool = False) -> list[Claim]:
    """Every claim of a task in id order; `lock` takes them after the task (the order every claim
    operation keeps), so a change in flight is finished and seen, never overwritten."""
    stmt = select(Claim).where(Claim.task_id == task_id).order_by(Claim.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(session().exec(stmt))


# --- the board -----------------------------------------------------------------------------


@dataclass
class Standing:
    """What the caller could claim: the eligibilities and communities open to them, as a
    person and for the units they administer; `reach` is every community they belong to (lived
    in or reported to, themselves or through their units), suspended or not."""

    person_id: int
    eligibilities: tuple[str, ...]
    communities: set[int]
    unit_communities: set[int]
    reach: set[int] = field(default_factory=set)


def standing_of(actor: Actor) -> Standing:
    person = get_person(actor.person_id)
    member = acts_as_party_member(person)
    communities = {person.community_id} if person.community_id else set()
    if member:
        reported = session().exec(
            select(Registration.community_id).where(
                Registration.kind == "member",
                Registration.person_id == person.id,
                Registration.status == "confirmed",
            )
        )
        communities |= set(reported)
    units = actor.unit_ids
    unit_communities = set()
    if units:
        unit_communities = set(
            session().exec(
                select(Registration.community_id).where(
                    Registration.kind == "unit",
                    Registration.unit_id.in_(units),
                    Registration.status == "confirmed",
                )
            )
        )
    eligibilities = ("residents", "anyone", "party_members") if member else ("residents", "anyone")
    reach = communities | unit_communities
    if person.is_suspended:
        communities, unit_communities = set(), set()
    return Standing(person.id, eligibilities, communities, unit_communities, reach)


def claimable_expr(standing: Standing, now: datetime) -> sa.ColumnElement[bool]:
    mine = (
        select(Claim.id)
        .where(
            Claim.task_id == Task.id,
            Claim.claimant_type == "person",
            Claim.person_id == standing.person_id,
            Claim.state.in_(LIVE_CLAIM_STATES),
        )
        .correlate(Task)
        .exists()
    )
    as_person = sa.and_(
        Task.eligibility.in_(standing.eligibilities),
        Task.community_id.in_(sorted(standing.communities) or [-1]),
        ~mine,
    )
    as_unit = sa.and_(
        Task.eligibility.in_(("units", "anyone")),
        Task.community_id.in_(sorted(standing.unit_communities) or [-1]),
    )
    return sa.and_(
        Task.state == TaskState.POSTED,
        Task.claim_deadline > now,
        # A task filled by a draw takes applications whatever the slots.
        sa.or_(
            Task.slots > LIVE_COUNT, sa.and_(Task.fill_mode != FillMode.FIRST_COME, Task.drawn_at.is_(None))
        ),
        sa.or_(as_person, as_unit),
    )


def task_stmt(actor: Actor, *, now: datetime, standing: Standing | None = None) -> sa.Select:
    """Rows of (task, live claims, claimable) for tasks picked by the caller's `where`: for one
    task's page, or for the rows of one board page (never the whole board: the live count is a
    subquery per row)."""
    standing = standing or standing_of(actor)
    return select(Task, LIVE_COUNT.label("live"), claimable_expr(standing, now).label("claimable"))


def open_tasks_stmt(actor: Actor) -> sa.Select:
    """Posted tasks of the communities where the caller manages tasks (a figure for staff)."""
    communities = community_ids_where(actor.scope_filter("tasks.manage", OrgNode.path))
    return select(Task.id).where(Task.state == TaskState.POSTED, Task.community_id.in_(communities))


def with_counts(
    actor: Actor, tasks: list[Task], *, now: datetime, standing: Standing | None = None
) -> list[tuple[Task, int, bool]]:
    """The tasks as rows of (task, live claims, claimable), read in one statement for these rows
    only, in the order given."""
    if not tasks:
        return []
    stmt = task_stmt(actor, now=now, standing=standing).where(Task.id.in_([t.id for t in tasks]))
    found = {task.id: (task, live, claimable) for task, live, claimable in session().exec(stmt)}
    return [found[task.id] for task in tasks]


def visible_task(actor: Actor, task_id: int) -> Task:
    task = session().get(Task, task_id)
    if task is None:
        raise NotFound("task_not_found", "任务不存在")
    if task.state not in PUBLIC_TASK_STATES and not actor.can(
        "tasks.manage", community_path(task.community_id)
    ):
        raise NotFound("task_not_found", "任务不存在")
    return task


def task_row(actor: Actor, task_id: int, *, now: datetime) -> tuple[Task, int, bool]:
    """A task with its live claim count and whether the caller may claim it now."""
    return with_counts(actor, [visible_task(actor, task_id)], now=now)[0]


def managed_communities(actor: Actor) -> list[OrgNode]:
    """Communities where the caller may post tasks."""
    stmt = select(OrgNode).where(
        OrgNode.level == "community", actor.scope_filter("tasks.manage", OrgNode.path)
    )
    return list(session().exec(stmt.order_by(OrgNode.path)))


def active_stations(communities: list[OrgNode]) -> list[tuple[Station, OrgNode]]:
    """The active stations of these communities (a task may be held at one)."""
    if not communities:
        return []
    within = sa.or_(*(OrgNode.path.startswith(c.path, autoescape=True) for c in communities))
    stmt = (
        select(Station, OrgNode)
        .join(OrgNode, OrgNode.id == Station.node_id)
        .where(within, Station.is_active.is_(True))
        .order_by(OrgNode.path, Station.id)
    )
    return list(session().exec(stmt).all())


def find_station(station_id: int | None) -> Station | None:
    return session().get(Station, station_id) if station_id else None


def units_of(actor: Actor) -> list[Unit]:
    """The units the caller administers, in id order."""
    if not actor.unit_ids:
        return []
    return list(session().exec(select(Unit).where(Unit.id.in_(actor.unit_ids)).order_by(Unit.id)))


def unit_contact(unit_id: int) -> Person | None:
    """Who answers for a unit: its first admin who is not suspended."""
    stmt = (
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == "unit_admin", RoleGrant.unit_id == unit_id, Person.is_suspended.is_(False))
        .order_by(RoleGrant.id)
    )
    return session().exec(stmt).first()


def tasks_of_demands(demand_ids: list[int]) -> dict[int, Task]:
    """demand id -> the latest task made of it (one query for a whole list)."""
    if not demand_ids:
        return {}
    rows = session().exec(select(Task).where(Task.demand_id.in_(demand_ids)).order_by(Task.id))
    return {task.demand_id: task for task in rows}


# --- claims ---------------------------------------------------------------------------


def may_read_claim(actor: Actor, claim: Claim, task: Task) -> bool:
    if claim.person_id == actor.person_id:
        return True
    if claim.unit_id is not None and actor.administers_unit(claim.unit_id):
        return True
    if claim.confirming_unit_id is not None and actor.administers_unit(claim.confirming_unit_id):
        return True
    path = community_path(task.community_id)
    return actor.can("claims.verify", path) or actor.can("ledger.read", path)


def visible_claim(actor: Actor, claim_id: int) -> tuple[Claim, Task]:
    claim = session().get(Claim, claim_id)
    task = session().get(Task, claim.task_id) if claim else None
    if claim is None or not may_read_claim(actor, claim, task):
        raise NotFound("claim_not_found", "揭榜记录不存在")
    return claim, task


def my_claims_stmt(actor: Actor, *, state: str | None = None, task_id: int | None = None) -> sa.Select:
    """Claims the caller answers for: their own and their units'."""
    units = actor.unit_ids
    mine = sa.and_(Claim.claimant_type == "person", Claim.person_id == actor.person_id)
    if units:
        mine = sa.or_(mine, sa.and_(Claim.claimant_type == "unit", Claim.unit_id.in_(units)))
    stmt = select(Claim).where(mine)
    if state:
        stmt = stmt.where(Claim.state == state)
    if task_id is not None:
        stmt = stmt.where(Claim.task_id == task_id)
    return stmt.order_by(Claim.updated_at.desc(), Claim.id.desc())


def _union_page(branches: list, filters: list, keys: list, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of claims reached by any of `branches`, each its own index range (a
    UNION of small scans, never one scan behind an OR)."""

    def build(conditions: list, order: list, limit: int) -> sa.Select:
        parts = [
            select(Claim.id).where(branch, *filters, *conditions).order_by(*order).limit(limit)
            for branch in branches
        ]
        found = sa.union(*(sa.select(part.subquery()) for part in parts)).subquery()
        return select(Claim).join(found, found.c.id == Claim.id).order_by(*order).limit(limit)

    return keyset(build, keys=keys, cursor=cursor, per_page=per_page)


def my_claims_page(actor: Actor, *, cursor: Cursor | None, per_page: int, state: str | None = None) -> dict:
    """A keyset page of `my_claims_stmt`, latest change first."""
    branches = [sa.and_(Claim.claimant_type == "person", Claim.person_id == actor.person_id)]
    if actor.unit_ids:
        branches.append(sa.and_(Claim.claimant_type == "unit", Claim.unit_id.in_(actor.unit_ids)))
    return _union_page(
        branches,
        [Claim.state == state] if state else [],
        [(Claim.updated_at, True), (Claim.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


def verification_queue_page(
    actor: Actor,
    *,
    cursor: Cursor | None,
    per_page: int,
    awaiting: str | None = None,
    task_id: int | None = None,
    community_id: int | None = None,
) -> dict:
    """A keyset page of `verification_queue_stmt`, longest waiting first: each side the caller
    verifies for (their scope's communities, their units) is its own range of the submitted
    claims."""
    branches = []
    if awaiting in (None, "community") and actor.can_somewhere("claims.verify"):
        in_scope = (
            select(Task.id)
            .join(OrgNode, OrgNode.id == Task.community_id)
            .where(actor.scope_filter("claims.verify", OrgNode.path))
        )
        branches.append(sa.and_(Claim.community_verified_at.is_(None), Claim.task_id.in_(in_scope)))
    if awaiting in (None, "unit") and actor.unit_ids:
        branches.append(
            sa.and_(Claim.unit_verified_at.is_(None), Claim.confirming_unit_id.in_(actor.unit_ids))
        )
    filters = [Claim.state == ClaimState.SUBMITTED]
    if task_id is not None:
        filters.append(Claim.task_id == task_id)
    if community_id is not None:
        filters.append(Claim.task_id.in_(select(Task.id).where(Task.community_id == community_id)))
    return _union_page(
        branches or [sa.false()],
        filters,
        [(Claim.submitted_at, False), (Claim.id, False)],
        cursor=cursor,
        per_page=per_page,
    )


def person_claims(person_id: int, *, limit: int = 10) -> list[Claim]:
    """A person's own most recent claims (their service), newest first."""
    stmt = (
        select(Claim)
        .where(Claim.claimant_type == "person", Claim.person_id == person_id)
        .order_by(Claim.updated_at.desc(), Claim.id.desc())
        .limit(limit)
    )
    return list(session().exec(stmt))


def verification_queue_stmt(
    actor: Actor, *, awaiting: str | None = None, task_id: int | None = None, community_id: int | None = None
) -> sa.Select:
    """Submitted claims waiting for the caller's side: community staff, or a confirming unit."""
    community_side = sa.and_(
        Claim.community_verified_at.is_(None), actor.scope_filter("claims.verify", OrgNode.path)
    )
    units = actor.unit_ids
    unit_side = sa.and_(
        Claim.unit_verified_at.is_(None),
        Claim.confirming_unit_id.in_(units or [-1]),
    )
    sides = {"community": community_side, "unit": unit_side}
    waiting = sides[awaiting] if awaiting else sa.or_(community_side, unit_side)
    stmt = (
        select(Claim)
        .join(Task, Task.id == Claim.task_id)
        .join(OrgNode, OrgNode.id == Task.community_id)
        .where(Claim.state == ClaimState.SUBMITTED, waiting)
    )
    if task_id is not None:
        stmt = stmt.where(Claim.task_id == task_id)
    if community_id is not None:
        stmt = stmt.where(Task.community_id == community_id)
    return stmt.order_by(Claim.submitted_at, Claim.id)


def task_claims_stmt(task_id: int, *, state: str | None = None) -> sa.Select:
    stmt = select(Claim).where(Claim.task_id == task_id)
    if state:
        stmt = stmt.where(Claim.state == state)
    return stmt.order_by(Claim.created_at, Claim.id)


def task_claims_page(task_id: int, *, state: str | None, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `task_claims_stmt`: a task's claims are as many as its slots and the
    applications of a draw, read through the task's claims index."""
    return keyset(
        task_claims_stmt(task_id, state=state),
        keys=[(Claim.created_at, False), (Claim.id, False)],
        cursor=cursor,
        per_page=per_page,
    )


def first_rows(stmt: sa.Select, limit: int = PAGE_ROWS) -> list:
    """The first rows of one of the statements above, for a page."""
    return list(session().exec(stmt.limit(limit)).all())


def unit_members(unit_ids: list[int]) -> list[Person]:
    """Who works at these units (their party members), by name."""
    stmt = select(Person).where(Person.work_unit_id.in_(unit_ids)).order_by(Person.name).limit(500)
    return list(session().exec(stmt))


def service_of_units(unit_ids: list[int], member_ids: list[int]) -> list[Claim]:
    """The units' own claims and their members' claims, the latest first."""
    stmt = (
        select(Claim)
        .where(Claim.unit_id.in_(unit_ids) | Claim.person_id.in_(member_ids or [-1]))
        .order_by(Claim.updated_at.desc())
        .limit(PAGE_ROWS)
    )
    return list(session().exec(stmt))


def recent_service(claims: list[Claim], since: datetime) -> dict[int, int]:
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
                Claim.state == ClaimState.VERIFIED,
                Claim.updated_at >= since,
            )
            .group_by(column)
        )
        counts.update({(claimant_type, owner): n for owner, n in rows})
    return {
        c.id: counts.get((c.claimant_type, c.unit_id if c.claimant_type == "unit" else c.person_id), 0)
        for c in claims
    }


def applications(task_id: int) -> list[Claim]:
    """The applications waiting for a task's draw, in id order."""
    stmt = select(Claim).where(Claim.task_id == task_id, Claim.state == ClaimState.APPLIED).order_by(Claim.id)
    return list(session().exec(stmt))


def describe_claims(claims: list[Claim]) -> list[dict]:
    """Claims with their task, claimant names and the award's state read from the ledger."""
    if not claims:
        return []
    sess = session()
    tasks = {t.id: t for t in sess.exec(select(Task).where(Task.id.in_({c.task_id for c in claims})))}
    people = dict(
        sess.exec(select(Person.id, Person.name).where(Person.id.in_({c.person_id for c in claims}))).all()
    )
    unit_ids = {c.unit_id for c in claims if c.unit_id} | {
        c.confirming_unit_id for c in claims if c.confirming_unit_id
    }
    units = dict(sess.exec(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    awards = award_states([c.award_transfer_id for c in claims if c.award_transfer_id])
    out = []
    for claim in claims:
        task = tasks[claim.task_id]
        out.append(
            {
                **claim.model_dump(),
                "task_title": task.title,
                "task_state": task.state,
                "task_starts_at": task.starts_at,
                "task_ends_at": task.ends_at,
                "task_place": task.place,
                "community_id": task.community_id,
                "person_name": people.get(claim.person_id, ""),
                "unit_name": units.get(claim.unit_id) if claim.unit_id else None,
                "confirming_unit_name": units.get(claim.confirming_unit_id)
                if claim.confirming_unit_id
                else None,
                "amount": task.reward_hongsong if claim.kind == "hongsong" else task.reward_xingan,
                "award": awards.get(claim.award_transfer_id),
            }
        )
    return out
