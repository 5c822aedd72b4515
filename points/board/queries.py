"""Reads of the board: what a caller may see and claim, queues, and the trail behind an award."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.board.models import (
    LIVE_CLAIM_STATES,
    SLOT_STATES,
    Claim,
    Demand,
    Project,
    ProjectResource,
    Resource,
    Task,
)
from points.db import session
from points.errors import NotFound
from points.ledger.queries import award_states
from points.org.models import OrgNode, Unit
from points.people.models import Person, Registration
from points.people.queries import acts_as_party_member, get_person

PUBLIC_TASK_STATES = ("posted", "closed", "done")

_live_count = (
    select(sa.func.count(Claim.id))
    .where(Claim.task_id == Task.id, Claim.state.in_(SLOT_STATES))
    .correlate(Task)
    .scalar_subquery()
)


@dataclass
class Standing:
    """What the caller could claim: the eligibilities and communities open to them, as a
    person and for the units they administer."""

    person_id: int
    eligibilities: tuple[str, ...]
    communities: set[int]
    unit_communities: set[int]


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
    if person.is_suspended:
        communities, unit_communities = set(), set()
    return Standing(person.id, eligibilities, communities, unit_communities)


def _claimable(standing: Standing, now: datetime) -> sa.ColumnElement[bool]:
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
        Task.state == "posted",
        Task.claim_deadline > now,
        # A task filled by a draw takes applications whatever the slots.
        sa.or_(_live_count < Task.slots, sa.and_(Task.fill_mode != "first_come", Task.drawn_at.is_(None))),
        sa.or_(as_person, as_unit),
    )


def board_stmt(
    actor: Actor,
    *,
    now: datetime,
    community_id: int | None = None,
    category: str | None = None,
    eligibility: str | None = None,
    state: str | None = None,
    open_slots: bool | None = None,
    claimable: bool | None = None,
    q: str | None = None,
) -> sa.Select:
    """Tasks the caller may see, what they may claim first, then by start time.

    Everyone sees tasks on the board (posted, closed, done); drafts and cancelled tasks
    only staff of the community see.
    """
    standing = standing_of(actor)
    can_claim = _claimable(standing, now)
    visible = sa.or_(Task.state.in_(PUBLIC_TASK_STATES), actor.scope_filter("tasks.manage", OrgNode.path))
    stmt = (
        select(Task, _live_count.label("live"), can_claim.label("claimable"))
        .join(OrgNode, OrgNode.id == Task.community_id)
        .where(visible)
    )
    if community_id is not None:
        stmt = stmt.where(Task.community_id == community_id)
    if category:
        stmt = stmt.where(Task.category == category)
    if eligibility:
        stmt = stmt.where(Task.eligibility == eligibility)
    if state:
        stmt = stmt.where(Task.state == state)
    if open_slots is not None:
        has_room = sa.and_(Task.state == "posted", _live_count < Task.slots)
        stmt = stmt.where(has_room if open_slots else ~has_room)
    if claimable is not None:
        stmt = stmt.where(can_claim if claimable else ~can_claim)
    if q:
        stmt = stmt.where(Task.title.contains(q, autoescape=True))
    return stmt.order_by(
        sa.case((can_claim, 0), else_=1),
        sa.case((Task.state == "posted", 0), (Task.state == "closed", 1), else_=2),
        Task.starts_at,
        Task.id,
    )


def visible_task(actor: Actor, task_id: int) -> Task:
    task = session().get(Task, task_id)
    if task is None:
        raise NotFound("task_not_found", "任务不存在")
    if task.state not in PUBLIC_TASK_STATES:
        path = session().get(OrgNode, task.community_id).path
        if not actor.can("tasks.manage", path):
            raise NotFound("task_not_found", "任务不存在")
    return task


def task_row(actor: Actor, task_id: int, *, now: datetime) -> tuple[Task, int, bool]:
    """A task with its live claim count and whether the caller may claim it now."""
    visible_task(actor, task_id)
    stmt = board_stmt(actor, now=now).where(Task.id == task_id)
    return session().exec(stmt).one()


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


# --- claims ---------------------------------------------------------------------------


def may_read_claim(actor: Actor, claim: Claim, task: Task) -> bool:
    if claim.person_id == actor.person_id:
        return True
    if claim.unit_id is not None and actor.administers_unit(claim.unit_id):
        return True
    if claim.confirming_unit_id is not None and actor.administers_unit(claim.confirming_unit_id):
        return True
    path = session().get(OrgNode, task.community_id).path
    return actor.can("claims.verify", path) or actor.can("ledger.read", path)


def visible_claim(actor: Actor, claim_id: int) -> tuple[Claim, Task]:
    claim = session().get(Claim, claim_id)
    task = session().get(Task, claim.task_id) if claim else None
    if claim is None or not may_read_claim(actor, claim, task):
        raise NotFound("claim_not_found", "揭榜记录不存在")
    return claim, task


def my_claims_stmt(actor: Actor, *, state: str | None = None) -> sa.Select:
    """Claims the caller answers for: their own and their units'."""
    units = actor.unit_ids
    mine = sa.and_(Claim.claimant_type == "person", Claim.person_id == actor.person_id)
    if units:
        mine = sa.or_(mine, sa.and_(Claim.claimant_type == "unit", Claim.unit_id.in_(units)))
    stmt = select(Claim).where(mine)
    if state:
        stmt = stmt.where(Claim.state == state)
    return stmt.order_by(Claim.updated_at.desc(), Claim.id.desc())


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
        .where(Claim.state == "submitted", waiting)
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


# --- demands, resources, projects ------------------------------------------------------


def may_read_demand(actor: Actor, demand: Demand) -> bool:
    if actor.person_id in (demand.requester_id, demand.created_by_id):
        return True
    path = session().get(OrgNode, demand.grid_id or demand.community_id).path
    return actor.can("demands.triage", path) or actor.can("help.request_for", path)


def visible_demand(actor: Actor, demand_id: int) -> Demand:
    demand = session().get(Demand, demand_id)
    if demand is None or not may_read_demand(actor, demand):
        raise NotFound("demand_not_found", "需求不存在")
    return demand


def demands_stmt(
    actor: Actor,
    *,
    mine: bool = False,
    state: str | None = None,
    category: str | None = None,
    community_id: int | None = None,
) -> sa.Select:
    """My demands (asked by me or for others by me), or, for staff, those of their scope."""
    own = sa.or_(Demand.requester_id == actor.person_id, Demand.created_by_id == actor.person_id)
    stmt = select(Demand).join(OrgNode, OrgNode.id == Demand.community_id)
    stmt = stmt.where(own if mine else sa.or_(own, actor.scope_filter("demands.triage", OrgNode.path)))
    if state:
        stmt = stmt.where(Demand.state == state)
    if category:
        stmt = stmt.where(Demand.category == category)
    if community_id is not None:
        stmt = stmt.where(Demand.community_id == community_id)
    return stmt.order_by(Demand.created_at.desc(), Demand.id.desc())


def tasks_of_demands(demand_ids: list[int]) -> dict[int, Task]:
    """demand id -> the latest task made of it (one query for a whole list)."""
    if not demand_ids:
        return {}
    rows = session().exec(select(Task).where(Task.demand_id.in_(demand_ids)).order_by(Task.id))
    return {task.demand_id: task for task in rows}


def projects_of_demands(demand_ids: list[int]) -> dict[int, Project]:
    if not demand_ids:
        return {}
    return {p.demand_id: p for p in session().exec(select(Project).where(Project.demand_id.in_(demand_ids)))}


def demand_task(demand_id: int) -> Task | None:
    return session().exec(select(Task).where(Task.demand_id == demand_id).order_by(Task.id.desc())).first()


def resources_stmt(
    actor: Actor,
    *,
    community_id: int | None = None,
    category: str | None = None,
    active: bool | None = True,
    person_id: int | None = None,
    unit_id: int | None = None,
) -> sa.Select:
    # Who offers what is personal: staff of the community see the list to match demands;
    # members and unit admins see what they declared.
    own = sa.or_(
        sa.and_(Resource.owner_type == "person", Resource.person_id == actor.person_id),
        Resource.unit_id.in_(actor.unit_ids or [-1]),
    )
    stmt = (
        select(Resource)
        .join(OrgNode, OrgNode.id == Resource.community_id)
        .where(sa.or_(own, actor.scope_filter("demands.triage", OrgNode.path)))
    )
    if community_id is not None:
        stmt = stmt.where(Resource.community_id == community_id)
    if category:
        stmt = stmt.where(Resource.category == category)
    if active is not None:
        stmt = stmt.where(Resource.is_active.is_(active))
    if person_id is not None:
        stmt = stmt.where(Resource.owner_type == "person", Resource.person_id == person_id)
    if unit_id is not None:
        stmt = stmt.where(Resource.unit_id == unit_id)
    return stmt.order_by(Resource.id.desc())


def suggestions_for(demand: Demand) -> list[Resource]:
    """Active resources offered to the demand's community, the same category first, then the
    largest capacity: staff pick from these and confirm."""
    stmt = (
        select(Resource)
        .where(Resource.community_id == demand.community_id, Resource.is_active.is_(True))
        .order_by(
            sa.case((Resource.category == demand.category, 0), else_=1), Resource.capacity.desc(), Resource.id
        )
        .limit(20)
    )
    return list(session().exec(stmt))


def describe_resources(resources: list[Resource]) -> list[dict]:
    sess = session()
    people = (
        dict(
            sess.exec(
                select(Person.id, Person.name).where(Person.id.in_({r.person_id for r in resources}))
            ).all()
        )
        if resources
        else {}
    )
    unit_ids = {r.unit_id for r in resources if r.unit_id}
    units = dict(sess.exec(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    return [
        {
            **r.model_dump(),
            "offered_by": units.get(r.unit_id) if r.unit_id else people.get(r.person_id, ""),
        }
        for r in resources
    ]


def projects_stmt(actor: Actor, *, community_id: int | None = None) -> sa.Select:
    stmt = (
        select(Project)
        .join(OrgNode, OrgNode.id == Project.community_id)
        .join(Demand, Demand.id == Project.demand_id)
        .where(
            sa.or_(actor.scope_filter("demands.triage", OrgNode.path), Demand.requester_id == actor.person_id)
        )
    )
    if community_id is not None:
        stmt = stmt.where(Project.community_id == community_id)
    return stmt.order_by(Project.id.desc())


def visible_project(actor: Actor, project_id: int) -> Project:
    project = session().exec(projects_stmt(actor).where(Project.id == project_id)).first()
    if project is None:
        raise NotFound("project_not_found", "项目不存在")
    return project


def project_resources(project_id: int) -> list[Resource]:
    return list(
        session().exec(
            select(Resource)
            .join(ProjectResource, ProjectResource.resource_id == Resource.id)
            .where(ProjectResource.project_id == project_id)
            .order_by(Resource.id)
        )
    )


def project_of_demand(demand_id: int) -> Project | None:
    return session().exec(select(Project).where(Project.demand_id == demand_id)).first()
