"""JSON endpoints of the board: tasks, claims, dispatch, verification, demands, resources, projects."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlmodel import select

from points.access import Actor
from points.auth.current import current_actor
from points.board import operations, queries
from points.board.models import CLAIM_STATE_NAMES, DEMAND_STATE_NAMES, TASK_STATE_NAMES, Task
from points.board.schemas import (
    ClaimCreateSchema,
    ClaimPageSchema,
    ClaimQuerySchema,
    ClaimSchema,
    DemandAcceptSchema,
    DemandCreateSchema,
    DemandPageSchema,
    DemandQuerySchema,
    DemandSchema,
    DispatchSchema,
    OptionalReasonSchema,
    ProjectCreateSchema,
    ProjectPageSchema,
    ProjectQuerySchema,
    ProjectSchema,
    QueueQuerySchema,
    RateSchema,
    ReasonSchema,
    ResourceCreateSchema,
    ResourcePageSchema,
    ResourceQuerySchema,
    ResourceSchema,
    SubmitSchema,
    TaskCreateSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskSchema,
    TaskUpdateSchema,
    VerifySchema,
)
from points.db import session, utcnow
from points.ledger.idempotency import DOC as IDEMPOTENCY_DOC
from points.ledger.idempotency import idempotent
from points.org.models import OrgNode
from points.org.queries import community_names
from points.pagination import paginate
from points.people.models import Person

blp = Blueprint("board", __name__, url_prefix="/api/v1", description="Task board: tasks, claims, demands")
SECURED = [{"bearerAuth": []}]
MOVES_POINTS = {"security": SECURED, **IDEMPOTENCY_DOC}


# --- shaping -----------------------------------------------------------------------------


def tasks_out(actor: Actor, rows: list[tuple[Task, int, bool]]) -> list[dict]:
    names = community_names(list({task.community_id for task, _, _ in rows}))
    mine = queries.live_claims_of(actor.person_id, [task.id for task, _, _ in rows])
    out = []
    for task, live, claimable in rows:
        out.append(
            {
                **task.model_dump(),
                "community_name": names.get(task.community_id, ""),
                "claimed": live,
                "open_slots": max(task.slots - live, 0) if task.state == "posted" else 0,
                "claimable": bool(claimable),
                "my_claim_id": mine.get(task.id),
                "state_name": TASK_STATE_NAMES[task.state],
            }
        )
    return out


def task_out(actor: Actor, task_id: int) -> dict:
    return tasks_out(actor, [queries.task_row(actor, task_id, now=utcnow())])[0]


def claims_out(claims) -> list[dict]:
    rows = queries.describe_claims(list(claims))
    for row in rows:
        row["state_name"] = CLAIM_STATE_NAMES[row["state"]]
    return rows


def claim_out(claim) -> dict:
    return claims_out([claim])[0]


def demands_out(demands) -> list[dict]:
    demands = list(demands)
    ids = sorted({d.requester_id for d in demands})
    names = (
        dict(session().exec(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    )
    tasks = queries.tasks_of_demands([d.id for d in demands])
    projects = queries.projects_of_demands([d.id for d in demands])
    out = []
    for demand in demands:
        task, project = tasks.get(demand.id), projects.get(demand.id)
        out.append(
            {
                **demand.model_dump(),
                "requester_name": names.get(demand.requester_id, ""),
                "state_name": DEMAND_STATE_NAMES[demand.state],
                "task_id": task.id if task else None,
                "task_state": task.state if task else None,
                "project_id": project.id if project else None,
            }
        )
    return out


def project_out(project) -> dict:
    task = queries.demand_task(project.demand_id)
    return {
        **project.model_dump(),
        "resources": queries.describe_resources(queries.project_resources(project.id)),
        "task_id": task.id if task else None,
    }


# --- tasks -------------------------------------------------------------------------------


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(TaskQuerySchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """The board: what the caller may claim now comes first, then by start time."""
        actor = current_actor()
        page, per_page = args.pop("page"), args.pop("per_page")
        stmt = queries.board_stmt(actor, now=utcnow(), **args)
        result = paginate(stmt, page=page, per_page=per_page, scalars=False)
        result["items"] = tasks_out(actor, result["items"])
        return result

    @blp.doc(security=SECURED)
    @blp.arguments(TaskCreateSchema)
    @blp.response(201, TaskSchema)
    def post(self, data):
        """张榜: write a task as a draft, or post it at once (`post: true`). Staff of the community."""
        actor = current_actor()
        task = operations.create_task(actor=actor, **data)
        return task_out(actor, task.id)


@blp.route("/tasks/<int:task_id>")
class TaskItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        return task_out(current_actor(), task_id)

    @blp.doc(security=SECURED)
    @blp.arguments(TaskUpdateSchema)
    @blp.response(200, TaskSchema)
    def patch(self, data, task_id):
        """Edit a draft; a posted task only its description, place, slots and claim deadline."""
        actor = current_actor()
        operations.update_task(actor=actor, task_id=task_id, changes=data)
        return task_out(actor, task_id)


def _task_action(name: str, doc: str, call):
    @blp.route(f"/tasks/<int:task_id>/{name}", endpoint=f"task_{name}")
    class TaskAction(MethodView):
        @blp.doc(security=SECURED, summary=doc)
        @blp.response(200, TaskSchema)
        def post(self, task_id):
            actor = current_actor()
            call(actor=actor, task_id=task_id)
            return task_out(actor, task_id)

    return TaskAction


_task_action("post", "Put a draft on the board.", operations.post_task)
_task_action("close", "Stop taking claims.", operations.close_task)
_task_action("complete", "Mark the task done (its demand can then be rated).", operations.complete_task)
_task_action("draw", "Fill the slots from the applications, after the claim deadline.", operations.draw_task)


@blp.route("/tasks/<int:task_id>/cancel")
class TaskCancel(MethodView):
    @idempotent
    @blp.doc(**MOVES_POINTS)
    @blp.arguments(ReasonSchema)
    @blp.response(200, TaskSchema)
    def post(self, data, task_id):
        """Cancel: live claims are released and awards still pending are voided in the ledger."""
        actor = current_actor()
        operations.cancel_task(actor=actor, task_id=task_id, reason=data["reason"])
        return task_out(actor, task_id)


@blp.route("/tasks/<int:task_id>/claims")
class TaskClaims(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(ClaimQuerySchema, location="query")
    @blp.response(200, ClaimPageSchema)
    def get(self, args, task_id):
        """Who took the task (staff of the community)."""
        actor = current_actor()
        task = queries.visible_task(actor, task_id)
        actor.require("tasks.manage", session().get(OrgNode, task.community_id).path)
        result = paginate(
            queries.task_claims_stmt(task_id, state=args.get("state")),
            page=args["page"],
            per_page=args["per_page"],
        )
        result["items"] = claims_out(result["items"])
        return result

    @blp.doc(security=SECURED)
    @blp.arguments(ClaimCreateSchema)
    @blp.response(201, ClaimSchema)
    def post(self, data, task_id):
        """揭榜: take a slot for myself, or (with `unit_id`) for a unit I administer."""
        claim = operations.claim_task(actor=current_actor(), task_id=task_id, unit_id=data.get("unit_id"))
        return claim_out(claim)


@blp.route("/tasks/<int:task_id>/dispatch")
class TaskDispatch(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(DispatchSchema)
    @blp.response(201, ClaimSchema)
    def post(self, data, task_id):
        """派单: offer a slot to a named person or unit, who accept or decline."""
        claim = operations.dispatch_task(actor=current_actor(), task_id=task_id, **data)
        return claim_out(claim)


# --- claims ------------------------------------------------------------------------------


@blp.route("/me/claims")
class MyClaims(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(ClaimQuerySchema, location="query")
    @blp.response(200, ClaimPageSchema)
    def get(self, args):
        """My claims and my units', with each award's state read from the ledger."""
        stmt = queries.my_claims_stmt(current_actor(), state=args.get("state"))
        result = paginate(stmt, page=args["page"], per_page=args["per_page"])
        result["items"] = claims_out(result["items"])
        return result


@blp.route("/claims/queue")
class VerificationQueue(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, ClaimPageSchema)
    def get(self, args):
        """Submitted claims waiting for my side: community staff, or a confirming unit's admin."""
        page, per_page = args.pop("page"), args.pop("per_page")
        result = paginate(
            queries.verification_queue_stmt(current_actor(), **args), page=page, per_page=per_page
        )
        result["items"] = claims_out(result["items"])
        return result


@blp.route("/claims/<int:claim_id>")
class ClaimItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, ClaimSchema)
    def get(self, claim_id):
        claim, _ = queries.visible_claim(current_actor(), claim_id)
        return claim_out(claim)


def _claim_action(name: str, doc: str, call, schema=None):
    if schema is None:

        @blp.route(f"/claims/<int:claim_id>/{name}", endpoint=f"claim_{name}")
        class ClaimAction(MethodView):
            @blp.doc(security=SECURED, summary=doc)
            @blp.response(200, ClaimSchema)
            def post(self, claim_id):
                return claim_out(call(actor=current_actor(), claim_id=claim_id))

    else:

        @blp.route(f"/claims/<int:claim_id>/{name}", endpoint=f"claim_{name}")
        class ClaimAction(MethodView):
            @blp.doc(security=SECURED, summary=doc)
            @blp.arguments(schema)
            @blp.response(200, ClaimSchema)
            def post(self, data, claim_id):
                return claim_out(call(actor=current_actor(), claim_id=claim_id, **data))

    return ClaimAction


_claim_action("accept", "Accept a dispatched task.", operations.accept_dispatch)
_claim_action("decline", "Decline a dispatched task.", operations.decline_dispatch, OptionalReasonSchema)
_claim_action(
    "withdraw", "Give the slot back (before verification).", operations.withdraw_claim, OptionalReasonSchema
)
_claim_action("submit", "Report the work done, with a note.", operations.submit_claim, SubmitSchema)
_claim_action(
    "reject", "Refuse a claim, with a reason (either verifying side).", operations.reject_claim, ReasonSchema
)
_claim_action("no-show", "Mark that the claimant did not come.", operations.mark_no_show)


@blp.route("/claims/<int:claim_id>/verify")
class ClaimVerify(MethodView):
    @idempotent
    @blp.doc(**MOVES_POINTS)
    @blp.arguments(VerifySchema)
    @blp.response(200, ClaimSchema)
    def post(self, data, claim_id):
        """双向验单: confirm one side; when every side has, the award is asked of the ledger."""
        claim = operations.verify_claim(actor=current_actor(), claim_id=claim_id, side=data.get("side"))
        return claim_out(claim)


# --- demands -----------------------------------------------------------------------------


@blp.route("/demands")
class Demands(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(DemandQuerySchema, location="query")
    @blp.response(200, DemandPageSchema)
    def get(self, args):
        """My demands; for staff, also the demands of their communities (`mine=true` for only mine)."""
        page, per_page = args.pop("page"), args.pop("per_page")
        result = paginate(queries.demands_stmt(current_actor(), **args), page=page, per_page=per_page)
        result["items"] = demands_out(result["items"])
        return result

    @blp.doc(security=SECURED)
    @blp.arguments(DemandCreateSchema)
    @blp.response(201, DemandSchema)
    def post(self, data):
        """点单: ask for help, for myself or (grid workers, staff) for a resident."""
        demand = operations.request_help(actor=current_actor(), **data)
        return demands_out([demand])[0]


@blp.route("/demands/<int:demand_id>")
class DemandItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, DemandSchema)
    def get(self, demand_id):
        return demands_out([queries.visible_demand(current_actor(), demand_id)])[0]


@blp.route("/demands/<int:demand_id>/accept")
class DemandAccept(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(DemandAcceptSchema)
    @blp.response(201, TaskSchema)
    def post(self, data, demand_id):
        """Turn the demand into a posted task, optionally dispatched at once."""
        actor = current_actor()
        dispatch = {k: data.pop(k) for k in ("dispatch_person_id", "dispatch_unit_id") if k in data}
        if data.get("category") is None:
            data.pop("category", None)
        task = operations.accept_demand(actor=actor, demand_id=demand_id, task=data, **dispatch)
        return task_out(actor, task.id)


@blp.route("/demands/<int:demand_id>/decline")
class DemandDecline(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(ReasonSchema)
    @blp.response(200, DemandSchema)
    def post(self, data, demand_id):
        demand = operations.decline_demand(actor=current_actor(), demand_id=demand_id, reason=data["reason"])
        return demands_out([demand])[0]


@blp.route("/demands/<int:demand_id>/withdraw")
class DemandWithdraw(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, DemandSchema)
    def post(self, demand_id):
        demand = operations.withdraw_demand(actor=current_actor(), demand_id=demand_id)
        return demands_out([demand])[0]


@blp.route("/demands/<int:demand_id>/rating")
class DemandRating(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(RateSchema)
    @blp.response(200, DemandSchema)
    def post(self, data, demand_id):
        """双评价: rate the service once, 1–5, after its task is done (the requester only)."""
        demand = operations.rate_demand(actor=current_actor(), demand_id=demand_id, **data)
        return demands_out([demand])[0]


@blp.route("/demands/<int:demand_id>/suggestions")
class DemandSuggestions(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, ResourceSchema(many=True))
    def get(self, demand_id):
        """Resources that could meet the demand, the same category first (staff)."""
        actor = current_actor()
        demand = queries.visible_demand(actor, demand_id)
        actor.require("demands.triage", session().get(OrgNode, demand.community_id).path)
        return queries.describe_resources(queries.suggestions_for(demand))


# --- resources and projects ------------------------------------------------------------------


@blp.route("/resources")
class Resources(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(ResourceQuerySchema, location="query")
    @blp.response(200, ResourcePageSchema)
    def get(self, args):
        """资源清单: staff see their communities' resources; others what they or their unit declared."""
        actor = current_actor()
        stmt = queries.resources_stmt(
            actor,
            community_id=args.get("community_id"),
            category=args.get("category"),
            active=args["active"],
            person_id=actor.person_id if args["mine"] else None,
            unit_id=args.get("unit_id"),
        )
        result = paginate(stmt, page=args["page"], per_page=args["per_page"])
        result["items"] = queries.describe_resources(result["items"])
        return result

    @blp.doc(security=SECURED)
    @blp.arguments(ResourceCreateSchema)
    @blp.response(201, ResourceSchema)
    def post(self, data):
        """Declare what I (a reported party member) or my unit offer a community."""
        resource = operations.declare_resource(actor=current_actor(), **data)
        return queries.describe_resources([resource])[0]


@blp.route("/resources/<int:resource_id>/retire")
class ResourceRetire(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, ResourceSchema)
    def post(self, resource_id):
        resource = operations.retire_resource(actor=current_actor(), resource_id=resource_id)
        return queries.describe_resources([resource])[0]


@blp.route("/projects")
class Projects(MethodView):
    @blp.doc(security=SECURED)
    @blp.arguments(ProjectQuerySchema, location="query")
    @blp.response(200, ProjectPageSchema)
    def get(self, args):
        """项目清单 of my communities (staff), or of my own demands."""
        stmt = queries.projects_stmt(current_actor(), community_id=args.get("community_id"))
        result = paginate(stmt, page=args["page"], per_page=args["per_page"])
        result["items"] = [project_out(p) for p in result["items"]]
        return result

    @blp.doc(security=SECURED)
    @blp.arguments(ProjectCreateSchema)
    @blp.response(201, ProjectSchema)
    def post(self, data):
        """Confirm a match of a demand with resources."""
        project = operations.create_project(actor=current_actor(), **data)
        return project_out(project)


@blp.route("/projects/<int:project_id>")
class ProjectItem(MethodView):
    @blp.doc(security=SECURED)
    @blp.response(200, ProjectSchema)
    def get(self, project_id):
        return project_out(queries.visible_project(current_actor(), project_id))
