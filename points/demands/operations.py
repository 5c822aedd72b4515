"""Every change to demands (点单), resources (资源清单) and projects (项目清单).

A demand's state machine has one table (`DEMAND_MOVES`); the operations raise what
`demand_refusal` answers, and `demand_actions` asks the same function for every action (the
API's `allowed_actions`, the buttons a page shows). Accepting a demand posts a task through the
board's operations; the board's events (a task cancelled or done) move the demand back through
`listeners.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from points import photos
from points.access import Actor
from points.audit.operations import audit
from points.board import operations as board
from points.board.models import Task
from points.board.operations import refuse_if, required_text
from points.board.operations.rules import Move
from points.db import flush_or_conflict, session, utcnow
from points.demands.models import (
    HIGHEST_RATING,
    LOWEST_RATING,
    PHOTOS,
    Demand,
    DemandState,
    Project,
    ProjectResource,
    Resource,
)
from points.demands.queries import (
    find_resource,
    get_demand,
    may_read_demand,
    node_path,
    project_of_demand,
    resources_by_id,
)
from points.errors import Conflict, DomainError, Forbidden, NotFound
from points.i18n import as_written
from points.labels import N_
from points.org.queries import get_node, get_unit
from points.people.queries import (
    acts_as_party_member,
    belongs_to_community,
    find_person_by_phone,
    get_person,
    home_path,
    unit_reports_to,
)
from points.signals import demand_decided

# Who takes an action on a demand.
TRIAGE = "triage"  # staff holding demands.triage over the demand's community
REQUESTER = "requester"  # the resident the demand is for
BOARD = "board"  # the task made of it was cancelled or done (points.signals)

_CLOSED_TO_PROJECTS = (DemandState.DECLINED, DemandState.WITHDRAWN)
# Which of the resources a project names cannot be used.
_UNAVAILABLE = N_("不可用：%(ids)s")

DEMAND_MOVES: dict[str, Move] = {
    "accept": Move(
        (DemandState.OPEN,), (DemandState.ACCEPTED,), (TRIAGE,), "not_open", N_("这条需求已经处理过了")
    ),
    "decline": Move(
        (DemandState.OPEN,), (DemandState.DECLINED,), (TRIAGE,), "not_open", N_("这条需求已经处理过了")
    ),
    "withdraw": Move(
        (DemandState.OPEN,),
        (DemandState.WITHDRAWN,),
        (REQUESTER,),
        "not_open",
        N_("需求已受理或已处理，不能撤回"),
    ),
    "rate": Move((DemandState.DONE,), (), (REQUESTER,), "not_done", N_("服务完成后才能评价")),
    "photo": Move((DemandState.OPEN,), (), (REQUESTER,), "not_open", N_("需求已受理或已处理，不能再换照片")),
    "project": Move(
        tuple(s for s in DemandState if s not in _CLOSED_TO_PROJECTS),
        (),
        (TRIAGE,),
        "demand_closed",
        N_("需求已关闭，不能立项"),
    ),
    "reopen": Move((DemandState.ACCEPTED,), (DemandState.OPEN,), (BOARD,)),
    "complete": Move((DemandState.ACCEPTED,), (DemandState.DONE,), (BOARD,)),
}
# The actions a person takes (the rest follow the task made of the demand).
DEMAND_ACTIONS = tuple(a for a, m in DEMAND_MOVES.items() if BOARD not in m.who)


def _state(action: str, demand: Demand) -> DomainError | None:
    move = DEMAND_MOVES[action]
    return None if demand.state in move.sources else Conflict(move.code, move.message)


@dataclass
class Paths:
    """Org paths the rules read, each once (lists of demands share communities)."""

    known: dict[int, str] = field(default_factory=dict)

    def __call__(self, node_id: int) -> str:
        if node_id not in self.known:
            self.known[node_id] = node_path(node_id)
        return self.known[node_id]


def _triage_refusal(actor: Actor, demand: Demand, paths: Paths) -> DomainError | None:
    """A demand the actor may triage. Whoever may read it (its requester, the grid worker) is
    refused with 403; everyone else finds nothing."""
    path = paths(demand.community_id)
    if actor.can("demands.triage", path):
        return None
    if may_read_demand(actor, demand) or actor.in_scope_anywhere(path):
        return Forbidden("forbidden", "没有权限处理点单")
    return NotFound("demand_not_found", "需求不存在")


def _requester_refusal(actor: Actor, demand: Demand) -> DomainError | None:
    """A demand of the actor's own; anyone else's is not found (and staff act through triage)."""
    return None if demand.requester_id == actor.person_id else NotFound("demand_not_found", "需求不存在")


def _project_refusal(
    actor: Actor, demand: Demand, paths: Paths, resource_ids: list[int] | None = None
) -> DomainError | None:
    """Staff confirm a project for a demand still open to one, once: with `resource_ids`, also
    whether each of them may serve it."""
    if refused := _triage_refusal(actor, demand, paths) or _state("project", demand):
        return refused
    if resource_ids is not None:
        if not resource_ids:
            return DomainError(
                "resources_required", "请至少选择一项资源", 422, errors={"resource_ids": ["必填"]}
            )
        found = resources_by_id(resource_ids)
        usable = {r.id for r in found if r.is_active and r.community_id == demand.community_id}
        if missing := [i for i in resource_ids if i not in usable]:
            return DomainError(
                "resource_unavailable",
                "有资源不存在、已停用或不属于本社区",
                422,
                # The API's field messages are Chinese, like its details.
                errors={"resource_ids": [as_written(_UNAVAILABLE, ids=", ".join(map(str, missing)))]},
            )
    if project_of_demand(demand.id) is not None:
        return Conflict("project_exists", "这条需求已经立项")
    return None


def demand_refusal(
    actor: Actor, demand: Demand, action: str, paths: Paths | None = None, **details
) -> DomainError | None:
    """Why `actor` may not take `action` on `demand`, or None. `details`: the `resource_ids` a
    project names."""
    paths = paths or Paths()
    if action == "project":
        return _project_refusal(actor, demand, paths, **details)
    if action in ("accept", "decline"):
        return _triage_refusal(actor, demand, paths) or _state(action, demand)
    if refused := _requester_refusal(actor, demand) or _state(action, demand):
        return refused
    if action == "rate" and demand.rated_at is not None:
        return Conflict("already_rated", "已经评价过了")
    return None


def demand_actions(actor: Actor, demand: Demand, paths: Paths | None = None) -> list[str]:
    """The actions `actor` may take on `demand` now."""
    paths = paths or Paths()
    return [action for action in DEMAND_ACTIONS if demand_refusal(actor, demand, action, paths) is None]


# --- demands ---------------------------------------------------------------------------------


def _requester(actor: Actor, requester_id: int | None, requester_phone: str | None):
    """Whom a demand is for: the actor, or a resident of the grid or community of a grid worker
    or staff member, named by id or by phone. A phone outside their scope reads like an unknown
    one, and someone who may not ask for others is refused before any lookup."""
    if requester_phone is not None:
        if not actor.can_somewhere("help.request_for"):
            raise Forbidden("forbidden", "只有网格员和社区工作人员可以代居民点单")
        person = find_person_by_phone(requester_phone.strip())
        if person is None or not actor.can("help.request_for", home_path(person)):
            raise DomainError(
                "person_not_found",
                "您负责的范围内没有这个手机号的居民",
                422,
                errors={"requester_phone": [N_("未找到")]},
            )
        return person
    if requester_id is None or requester_id == actor.person_id:
        return get_person(actor.person_id)
    person = get_person(requester_id)
    path = home_path(person)
    if path is None or not actor.in_scope_anywhere(path):
        raise NotFound("person_not_found", "人员不存在")
    actor.require("help.request_for", path)
    return person


def request_help(
    *,
    actor: Actor,
    category: str,
    details: str,
    place: str = "",
    preferred_time: str = "",
    requester_id: int | None = None,
    requester_phone: str | None = None,
    photo: bytes | None = None,
    now: datetime | None = None,
) -> Demand:
    """居民点单: a resident asks for help, or a grid worker or staff member asks for a resident
    of their grid or community (`requester_id`, or `requester_phone`), optionally with one
    `photo` (the uploaded bytes, kept as `points.photos` makes them).

    Raises `details_required`, `no_home_community`, `person_not_found`, `forbidden`,
    `invalid_photo`, `photo_too_large`."""
    now = now or utcnow()
    details = required_text("details", details, N_("请填写需求内容"))
    requester = _requester(actor, requester_id, requester_phone)
    if requester.community_id is None:
        raise DomainError("no_home_community", "请先设置所在社区，再提出需求", 422)
    # Last, so a refused demand leaves no file behind.
    photo_name = photos.save(PHOTOS, photo) if photo is not None else None
    demand = Demand(
        community_id=requester.community_id,
        grid_id=requester.grid_id,
        requester_id=requester.id,
        created_by_id=actor.person_id,
        category=category,
        details=details,
        place=place.strip(),
        preferred_time=preferred_time.strip(),
        photo=photo_name,
        created_at=now,
    )
    session().add(demand)
    detail = {"category": category, "for": requester.id} | ({"photo": photo_name} if photo_name else {})
    audit(actor, "demand.created", demand, detail=detail, now=now)
    return demand


def set_demand_photo(*, actor: Actor, demand_id: int, data: bytes, now: datetime | None = None) -> Demand:
    """The requester attaches a photo to (or replaces the photo of) their demand while nobody
    has acted on it. Raises `not_open`, `invalid_photo`, `photo_too_large`."""
    now = now or utcnow()
    demand = get_demand(demand_id, lock=True)
    refuse_if(demand_refusal(actor, demand, "photo"))
    name = photos.save(PHOTOS, data)
    audit(actor, "demand.photo_set", demand, detail={"photo": [demand.photo, name]}, now=now)
    demand.photo = name
    return demand


def accept_demand(
    *,
    actor: Actor,
    demand_id: int,
    task: dict,
    dispatch_person_id: int | None = None,
    dispatch_unit_id: int | None = None,
    dispatch_phone: str | None = None,
    now: datetime | None = None,
) -> Task:
    """Turn an open demand into a posted task (its fields in `task`, as for the board's
    `create_task`), optionally dispatched at once to a named person (by id or phone) or unit.

    Raises `not_open` and what the board's `create_task` and `dispatch_task` raise."""
    now = now or utcnow()
    demand = get_demand(demand_id, lock=True)
    refuse_if(demand_refusal(actor, demand, "accept"))
    made = board.create_task(
        actor=actor,
        community_id=demand.community_id,
        post=True,
        demand_id=demand.id,
        now=now,
        **{"category": demand.category, **task},
    )
    demand.state, demand.decided_by_id, demand.decided_at = DemandState.ACCEPTED, actor.person_id, now
    assignee = {"person_id": dispatch_person_id, "unit_id": dispatch_unit_id, "phone": dispatch_phone}
    if any(value is not None for value in assignee.values()):
        board.dispatch_task(actor=actor, task_id=made.id, now=now, **assignee)
    audit(actor, "demand.accepted", demand, detail={"task_id": made.id}, now=now)
    _tell_requester(demand, "accepted", now=now)
    return made


def _tell_requester(demand: Demand, outcome: str, *, reason: str = "", now: datetime | None) -> None:
    demand_decided.send(
        None,
        demand_id=demand.id,
        person_id=demand.requester_id,
        title=demand.details[:40],
        outcome=outcome,
        reason=reason,
        now=now or utcnow(),
    )


def decline_demand(*, actor: Actor, demand_id: int, reason: str, now: datetime | None = None) -> Demand:
    """Decline an open demand with a reason the resident sees. Raises `reason_required`, `not_open`."""
    now = now or utcnow()
    reason = required_text("reason", reason, N_("请填写原因"))
    demand = get_demand(demand_id, lock=True)
    refuse_if(demand_refusal(actor, demand, "decline"))
    demand.state, demand.decline_reason = DemandState.DECLINED, reason
    demand.decided_by_id, demand.decided_at = actor.person_id, now
    audit(actor, "demand.declined", demand, detail={"reason": reason}, now=now)
    _tell_requester(demand, "declined", reason=reason, now=now)
    return demand


def withdraw_demand(*, actor: Actor, demand_id: int, now: datetime | None = None) -> Demand:
    """The requester takes back a demand nobody has acted on yet. Raises `not_open`."""
    now = now or utcnow()
    demand = get_demand(demand_id, lock=True)
    refuse_if(demand_refusal(actor, demand, "withdraw"))
    demand.state = DemandState.WITHDRAWN
    audit(actor, "demand.withdrawn", demand, now=now)
    return demand


def rate_demand(
    *, actor: Actor, demand_id: int, rating: int, comment: str = "", now: datetime | None = None
) -> Demand:
    """双评价: the requester rates the service once, 1–5, after its task is done.

    Raises `invalid_rating`, `not_done`, `already_rated`."""
    now = now or utcnow()
    if (
        not isinstance(rating, int)
        or isinstance(rating, bool)
        or not LOWEST_RATING <= rating <= HIGHEST_RATING
    ):
        raise DomainError(
            "invalid_rating", "评分应为 1 到 5", 422, errors={"rating": [N_("应为 1 到 5 的整数")]}
        )
    demand = get_demand(demand_id, lock=True)
    refuse_if(demand_refusal(actor, demand, "rate"))
    # Conditional, so two racing ratings cannot both land.
    updated = session().exec(
        sa.update(Demand)
        .where(Demand.id == demand.id, Demand.rated_at.is_(None))
        .values(rating=rating, comment=comment.strip(), rated_at=now)
    )
    if updated.rowcount != 1:
        raise Conflict("already_rated", "已经评价过了")
    session().refresh(demand)
    audit(actor, "demand.rated", demand, detail={"rating": rating}, now=now)
    return demand


def _follow_task(demand_id: int | None, action: str) -> None:
    """Move the demand behind a task as the task moved (`reopen`, `complete`), if it still
    waits on that task."""
    if demand_id is None:
        return
    demand = session().get(Demand, demand_id)
    move = DEMAND_MOVES[action]
    if demand is not None and demand.state in move.sources:
        (demand.state,) = move.targets
        session().flush()
        if action == "complete":
            _tell_requester(demand, "done", now=None)


def reopen_demand(*, demand_id: int | None) -> None:
    """The task made of the demand was cancelled: the demand goes back to be triaged."""
    _follow_task(demand_id, "reopen")


def complete_demand(*, demand_id: int | None) -> None:
    """The task made of the demand is done: so is the demand, which its requester may now rate."""
    _follow_task(demand_id, "complete")


# --- resources and projects -----------------------------------------------------------------


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

    Raises `not_eligible`, `description_required`, `invalid_community`, `forbidden`."""
    now = now or utcnow()
    community = get_node(community_id)
    if community.level != "community":
        raise DomainError("invalid_community", "任务只能由社区发布", 422)
    description = required_text("description", description, N_("请填写资源说明"))
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
    audit(actor, "resource.declared", resource, unit_id=unit_id, node_id=community.id, now=now)
    return resource


def retire_resource(*, actor: Actor, resource_id: int, now: datetime | None = None) -> Resource:
    """Stop offering a resource (its owner, or staff of the community). Past projects keep it."""
    resource = find_resource(resource_id)
    if resource is None:
        raise NotFound("resource_not_found", "资源不存在")
    own = (resource.owner_type == "person" and resource.person_id == actor.person_id) or (
        resource.unit_id is not None and actor.administers_unit(resource.unit_id)
    )
    if not own:
        actor.require("demands.triage", node_path(resource.community_id))
    resource.is_active = False
    audit(actor, "resource.retired", resource, now=now)
    return resource


def create_project(
    *, actor: Actor, demand_id: int, resource_ids: list[int], title: str = "", now: datetime | None = None
) -> Project:
    """项目清单: staff confirm a match of a demand with resources of its community.

    Raises `resources_required`, `resource_unavailable`, `demand_closed`, `project_exists`."""
    now = now or utcnow()
    demand = get_demand(demand_id, lock=True)
    ids = list(dict.fromkeys(resource_ids))
    refuse_if(demand_refusal(actor, demand, "project", resource_ids=ids))
    project = Project(
        community_id=demand.community_id,
        demand_id=demand.id,
        # Named after the demand unless staff name it: "助老助残：家里水管漏水…".
        title=(title or "").strip() or "：".join((demand.category, demand.details[:40])),
        confirmed_by_id=actor.person_id,
        created_at=now,
    )
    flush_or_conflict("这条需求已经立项", code="project_exists", add=project)
    for resource_id in ids:
        session().add(ProjectResource(project_id=project.id, resource_id=resource_id))
    audit(actor, "project.confirmed", project, detail={"demand_id": demand.id, "resource_ids": ids}, now=now)
    return project
