"""Reads of demands, resources and projects: who may see which, the lists, and what a demand's
page and answer gather (its requester, the task made of it, its project)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.board.queries import tasks_of_demands
from points.db import get_row, session
from points.demands.models import Demand, DemandState, Project, ProjectResource, Resource
from points.errors import NotFound
from points.org.models import OrgNode, Unit
from points.org.queries import get_node
from points.pagination import Cursor, keyset
from points.people.models import Person

# Lists on pages show this many rows at most.
PAGE_ROWS = 200


def get_demand(demand_id: int, *, lock: bool = False) -> Demand:
    return get_row(Demand, demand_id, NotFound("demand_not_found", "需求不存在"), lock=lock)


def node_path(node_id: int) -> str:
    return get_node(node_id).path


def may_read_demand(actor: Actor, demand: Demand) -> bool:
    if actor.person_id in (demand.requester_id, demand.created_by_id):
        return True
    path = node_path(demand.grid_id or demand.community_id)
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
    triage: bool = False,
    state: str | None = None,
    category: str | None = None,
    community_id: int | None = None,
) -> sa.Select:
    """My demands (asked by me or for others by me), or, for staff, those of their scope as
    well; `triage`: only those of their scope."""
    own = sa.or_(Demand.requester_id == actor.person_id, Demand.created_by_id == actor.person_id)
    scope = actor.scope_filter("demands.triage", OrgNode.path)
    stmt = select(Demand).join(OrgNode, OrgNode.id == Demand.community_id)
    stmt = stmt.where(own if mine else scope if triage else sa.or_(own, scope))
    if state:
        stmt = stmt.where(Demand.state == state)
    if category:
        stmt = stmt.where(Demand.category == category)
    if community_id is not None:
        stmt = stmt.where(Demand.community_id == community_id)
    return stmt.order_by(Demand.created_at.desc(), Demand.id.desc())


def demands_page(stmt: sa.Select, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `demands_stmt`, newest first."""
    return keyset(
        stmt,
        keys=[(Demand.created_at, True), (Demand.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


def newest_first_page(stmt: sa.Select, model, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `resources_stmt` or `projects_stmt` (`model`), newest (highest id) first."""
    return keyset(stmt, keys=[(model.id, True)], cursor=cursor, per_page=per_page)


def first_demands(stmt: sa.Select, limit: int = PAGE_ROWS) -> list[Demand]:
    """The first demands of `demands_stmt`, for a page."""
    return list(session().exec(stmt.limit(limit)))


def projects_of_demands(demand_ids: list[int]) -> dict[int, Project]:
    if not demand_ids:
        return {}
    return {p.demand_id: p for p in session().exec(select(Project).where(Project.demand_id.in_(demand_ids)))}


def project_of_demand(demand_id: int) -> Project | None:
    return session().exec(select(Project).where(Project.demand_id == demand_id)).first()


def describe_demands(demands: list[Demand]) -> list[dict]:
    """Demands with their requester's name, the latest task made of each and its project."""
    ids = sorted({d.requester_id for d in demands})
    names = (
        dict(session().exec(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    )
    tasks = tasks_of_demands([d.id for d in demands])
    projects = projects_of_demands([d.id for d in demands])
    out = []
    for demand in demands:
        task, project = tasks.get(demand.id), projects.get(demand.id)
        out.append(
            {
                **demand.model_dump(),
                "requester_name": names.get(demand.requester_id, ""),
                "state_name": DemandState(demand.state).title,
                "task_id": task.id if task else None,
                "task_state": task.state if task else None,
                "project_id": project.id if project else None,
            }
        )
    return out


def requester_of(demand: Demand) -> Person:
    return session().get(Person, demand.requester_id)


# --- resources and projects ------------------------------------------------------------------


def find_resource(resource_id: int) -> Resource | None:
    return session().get(Resource, resource_id)


def resources_by_id(resource_ids: list[int]) -> list[Resource]:
    return list(session().exec(select(Resource).where(Resource.id.in_(resource_ids))))


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


def demands_to_rate(actor: Actor) -> int:
    """For the home page's to-do list: my demands done and not rated yet (双评价)."""
    stmt = sa.select(sa.func.count()).where(
        Demand.requester_id == actor.person_id, Demand.state == DemandState.DONE, Demand.rating.is_(None)
    )
    return session().scalar(stmt)


def demands_by_month_stmt(*, bounds: list[datetime], node_path: str) -> sa.Select:
    """Demands of the communities under a node received (by when asked) and answered (accepted
    or declined, by when decided) per month: month `i` is [bounds[i], bounds[i + 1]). Columns
    month, what ("received" or "answered"), demands."""
    nodes = OrgNode.__table__
    demands = Demand.__table__

    def counted(column: sa.Column, what: str, *where) -> sa.Select:
        month = sa.case(*[(column < end, i) for i, end in enumerate(bounds[1:])], else_=None)
        inner = (
            sa.select(month.label("month"))
            .select_from(demands.join(nodes, nodes.c.id == demands.c.community_id))
            .where(
                column >= bounds[0],
                column < bounds[-1],
                nodes.c.path.startswith(node_path, autoescape=True),
                *where,
            )
            .subquery()
        )
        return sa.select(
            inner.c.month, sa.literal(what).label("what"), sa.func.count().label("demands")
        ).group_by(inner.c.month)

    answered = demands.c.state.in_((DemandState.ACCEPTED, DemandState.DONE, DemandState.DECLINED))
    return sa.union_all(
        counted(demands.c.created_at, "received"),
        counted(demands.c.decided_at, "answered", answered),
    )
