"""JSON endpoints of the board: tasks, claims, dispatch, the draw, verification."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from points.auth.current import current_actor
from points.board import draw, listing, operations, queries
from points.board.presenters import claim_out, claims_out, task_out, tasks_out
from points.board.schemas import (
    ClaimCreateSchema,
    ClaimKeysetPageSchema,
    ClaimQuerySchema,
    ClaimSchema,
    DispatchSchema,
    MyClaimsQuerySchema,
    OptionalReasonSchema,
    QueueQuerySchema,
    ReasonSchema,
    SubmitSchema,
    TaskCreateSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskSchema,
    TaskUpdateSchema,
    VerifySchema,
)
from points.db import utcnow
from points.endpoints import page_args, paged, secured
from points.ledger.idempotency import DOC as IDEMPOTENCY_DOC
from points.ledger.idempotency import idempotent
from points.pagination import decode_cursor

blp = Blueprint("board", __name__, url_prefix="/api/v1", description="Task board: tasks and claims")


# --- tasks -------------------------------------------------------------------------------


@blp.route("/tasks")
class Tasks(MethodView):
    @secured(blp, 200, TaskPageSchema, query=TaskQuerySchema)
    def get(self, args):
        """The board: what the caller may claim now comes first, then by start time."""
        actor = current_actor()
        cursor, per_page = page_args(args)
        now = utcnow()
        result = listing.board_page(actor, now=now, cursor=cursor, per_page=per_page, **args)
        result["items"] = tasks_out(actor, result["items"], now=now)
        return paged(result)

    @secured(blp, 201, TaskSchema, body=TaskCreateSchema)
    def post(self, data):
        """张榜: write a task as a draft, or post it at once (`post: true`). Staff of the community."""
        actor = current_actor()
        task = operations.create_task(actor=actor, **data)
        return task_out(actor, task.id, now=utcnow())


@blp.route("/tasks/<int:task_id>")
class TaskItem(MethodView):
    @secured(blp, 200, TaskSchema)
    def get(self, task_id):
        return task_out(current_actor(), task_id, now=utcnow())

    @secured(blp, 200, TaskSchema, body=TaskUpdateSchema)
    def patch(self, data, task_id):
        """Edit a draft; a posted task only its description, place, slots and claim deadline."""
        actor = current_actor()
        operations.update_task(actor=actor, task_id=task_id, changes=data)
        return task_out(actor, task_id, now=utcnow())


def _task_action(name: str, doc: str, call):
    @blp.route(f"/tasks/<int:task_id>/{name}", endpoint=f"task_{name}")
    class TaskAction(MethodView):
        @secured(blp, 200, TaskSchema, summary=doc)
        def post(self, task_id):
            actor = current_actor()
            call(actor=actor, task_id=task_id)
            return task_out(actor, task_id, now=utcnow())

    return TaskAction


_task_action("post", "Put a draft on the board.", operations.post_task)
_task_action("close", "Stop taking claims.", operations.close_task)
_task_action("complete", "Mark the task done (its demand can then be rated).", operations.complete_task)
_task_action("draw", "Fill the slots from the applications, after the claim deadline.", draw.draw_task)


@blp.route("/tasks/<int:task_id>/cancel")
class TaskCancel(MethodView):
    @idempotent
    @secured(blp, 200, TaskSchema, body=ReasonSchema, **IDEMPOTENCY_DOC)
    def post(self, data, task_id):
        """Cancel: live claims are released and awards still pending are voided in the ledger."""
        actor = current_actor()
        operations.cancel_task(actor=actor, task_id=task_id, reason=data["reason"])
        return task_out(actor, task_id, now=utcnow())


@blp.route("/tasks/<int:task_id>/claims")
class TaskClaims(MethodView):
    @secured(blp, 200, ClaimKeysetPageSchema, query=ClaimQuerySchema)
    def get(self, args, task_id):
        """Who took the task (staff of the community), first claim first; paged by cursor."""
        actor = current_actor()
        task = queries.visible_task(actor, task_id)
        actor.require("tasks.manage", queries.community_path(task.community_id))
        result = queries.task_claims_page(
            task_id,
            state=args.get("state"),
            cursor=decode_cursor(args.get("cursor")),
            per_page=args["per_page"],
        )
        result["items"] = claims_out(actor, result["items"], now=utcnow())
        return paged(result)

    @secured(blp, 201, ClaimSchema, body=ClaimCreateSchema)
    def post(self, data, task_id):
        """揭榜: take a slot for myself, or (with `unit_id`) for a unit I administer."""
        actor = current_actor()
        claim = operations.claim_task(actor=actor, task_id=task_id, unit_id=data.get("unit_id"))
        return claim_out(actor, claim, now=utcnow())


@blp.route("/tasks/<int:task_id>/dispatch")
class TaskDispatch(MethodView):
    @secured(blp, 201, ClaimSchema, body=DispatchSchema)
    def post(self, data, task_id):
        """派单: offer a slot to a named person (by id or phone) or unit, who accept or decline."""
        actor = current_actor()
        claim = operations.dispatch_task(actor=actor, task_id=task_id, **data)
        return claim_out(actor, claim, now=utcnow())


# --- claims ------------------------------------------------------------------------------


@blp.route("/me/claims")
class MyClaims(MethodView):
    @secured(blp, 200, ClaimKeysetPageSchema, query=MyClaimsQuerySchema)
    def get(self, args):
        """My claims and my units', latest change first, with each award's state read from the
        ledger; paged by cursor (`next_cursor`, the `Link` header)."""
        actor = current_actor()
        cursor, per_page = page_args(args)
        result = queries.my_claims_page(actor, cursor=cursor, per_page=per_page, **args)
        result["items"] = claims_out(actor, result["items"], now=utcnow())
        return paged(result)


@blp.route("/claims/queue")
class VerificationQueue(MethodView):
    @secured(blp, 200, ClaimKeysetPageSchema, query=QueueQuerySchema)
    def get(self, args):
        """Submitted claims waiting for my side (community staff, or a confirming unit's admin),
        longest waiting first; paged by cursor."""
        actor = current_actor()
        cursor, per_page = page_args(args)
        result = queries.verification_queue_page(actor, cursor=cursor, per_page=per_page, **args)
        result["items"] = claims_out(actor, result["items"], now=utcnow())
        return paged(result)


@blp.route("/claims/<int:claim_id>")
class ClaimItem(MethodView):
    @secured(blp, 200, ClaimSchema)
    def get(self, claim_id):
        actor = current_actor()
        claim, _ = queries.visible_claim(actor, claim_id)
        return claim_out(actor, claim, now=utcnow())


def _claim_action(name: str, doc: str, call, schema=None):
    """POST /claims/<id>/<name>: one operation on the claim (with the fields of `schema`, when
    it takes any), answered with the claim."""

    @blp.route(f"/claims/<int:claim_id>/{name}", endpoint=f"claim_{name}")
    class ClaimAction(MethodView):
        @secured(blp, 200, ClaimSchema, body=schema, summary=doc)
        def post(self, *body, claim_id):
            actor = current_actor()
            fields = body[0] if body else {}
            return claim_out(actor, call(actor=actor, claim_id=claim_id, **fields), now=utcnow())

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
    @secured(blp, 200, ClaimSchema, body=VerifySchema, **IDEMPOTENCY_DOC)
    def post(self, data, claim_id):
        """双向验单: confirm one side; when every side has, the award is asked of the ledger."""
        actor = current_actor()
        claim = operations.verify_claim(actor=actor, claim_id=claim_id, side=data.get("side"))
        return claim_out(actor, claim, now=utcnow())
