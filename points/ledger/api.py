"""JSON endpoints of the ledger: balances, statements, awards, approvals, reversals, browsing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from points.access import Actor
from points.auth.current import current_actor
from points.db import session, utcnow
from points.endpoints import paged, secured
from points.errors import Forbidden, NotFound
from points.ledger import history, operations, queries
from points.ledger.export import statement_csv
from points.ledger.idempotency import DOC as IDEMPOTENCY_DOC
from points.ledger.idempotency import idempotent
from points.ledger.models import Transfer
from points.ledger.schemas import (
    AwardCreateSchema,
    BalancesSchema,
    BudgetSchema,
    BulkApproveSchema,
    DiscretionarySchema,
    QueuePageSchema,
    QueueQuerySchema,
    RejectSchema,
    ReverseSchema,
    StatementQuerySchema,
    StatementSchema,
    TransferPageSchema,
    TransferQuerySchema,
    TransferSchema,
    VerificationSchema,
)
from points.ledger.transitions import allowed_actions
from points.org.models import OrgNode
from points.org.queries import get_node, get_unit
from points.pagination import decode_cursor, keyset
from points.people.models import Registration
from points.people.queries import visible_person

blp = Blueprint("ledger", __name__, url_prefix="/api/v1", description="Points: balances, awards, ledger")
# `format=csv` answers the statement as a CSV file (UTF-8 with a BOM, for Excel).
CSV_STATEMENT = {"content_type": "text/csv", "schema": {"type": "string"}, "success": True}
_nodes = OrgNode.__table__


# --- who may read which account --------------------------------------------------------


def _check_person_ledger(actor: Actor, person_id: int) -> None:
    """Oneself, or ledger readers whose scope holds the person's home."""
    if person_id == actor.person_id:
        return
    visible_person(actor, person_id, "ledger.read")


def _check_unit_ledger(actor: Actor, unit_id: int) -> None:
    """The unit's admin, admins, or ledger readers (staff, street admins, supervisors) whose
    scope holds a community the unit reports to (a confirmed registration); 404 for anyone else."""
    get_unit(unit_id)
    if actor.roles_over_unit(unit_id):
        return
    reports_in_scope = session().scalar(
        sa.select(sa.literal(True))
        .select_from(Registration)
        .join(OrgNode, OrgNode.id == Registration.community_id)
        .where(
            Registration.unit_id == unit_id,
            Registration.status == "confirmed",
            actor.scope_filter("ledger.read", OrgNode.path),
        )
        .limit(1)
    )
    if not reports_in_scope:
        raise NotFound("unit_not_found", "单位不存在")


def _with_parties(rows: list[dict]) -> list[dict]:
    owners = queries.account_owners(
        {r["debit_account_id"] for r in rows} | {r["credit_account_id"] for r in rows}
    )
    for row in rows:
        debit, credit = owners[row["debit_account_id"]], owners[row["credit_account_id"]]
        row["debit"] = {"owner_type": debit[0], "owner_id": debit[1]}
        row["credit"] = {"owner_type": credit[0], "owner_id": credit[1]}
    return queries.annotate(rows)


def _one(row: dict) -> dict:
    return _with_parties([row])[0]


# --- balances and statements -------------------------------------------------------------


@blp.route("/me/balances")
class MyBalances(MethodView):
    @secured(blp, 200, BalancesSchema)
    def get(self):
        """My posted, pending and available points of each kind."""
        return queries.balances_of_person(current_actor().person_id)


@blp.route("/people/<int:person_id>/balances")
class PersonBalances(MethodView):
    @secured(blp, 200, BalancesSchema)
    def get(self, person_id):
        _check_person_ledger(current_actor(), person_id)
        return queries.balances_of_person(person_id)


@blp.route("/units/<int:unit_id>/balances")
class UnitBalances(MethodView):
    @secured(blp, 200, BalancesSchema)
    def get(self, unit_id):
        _check_unit_ledger(current_actor(), unit_id)
        return queries.balances_of_unit(unit_id)


def _statement(owner_type: str, owner_id: int, args: dict):
    period = {"start": args.get("start"), "end": args.get("end")}
    if args["format"] == "csv":
        account_id = queries.find_account_id(owner_type, owner_id, args["kind"])
        return statement_csv(account_id, period, f"statement-{owner_type}-{owner_id}-{args['kind']}.csv")
    page = history.statement(
        owner_type,
        owner_id,
        args["kind"],
        cursor=decode_cursor(args.get("cursor")),
        per_page=args["per_page"],
        **period,
    )
    page["items"] = _with_parties(page["items"])
    return paged(page)


@blp.route("/me/statement")
class MyStatement(MethodView):
    @secured(blp, 200, StatementSchema, query=StatementQuerySchema)
    @blp.alt_response(200, **CSV_STATEMENT)
    def get(self, args):
        """My transfers of one kind with running balance, newest first; `format=csv` exports."""
        return _statement("person", current_actor().person_id, args)


@blp.route("/people/<int:person_id>/statement")
class PersonStatement(MethodView):
    @secured(blp, 200, StatementSchema, query=StatementQuerySchema)
    @blp.alt_response(200, **CSV_STATEMENT)
    def get(self, args, person_id):
        _check_person_ledger(current_actor(), person_id)
        return _statement("person", person_id, args)


@blp.route("/units/<int:unit_id>/statement")
class UnitStatement(MethodView):
    @secured(blp, 200, StatementSchema, query=StatementQuerySchema)
    @blp.alt_response(200, **CSV_STATEMENT)
    def get(self, args, unit_id):
        _check_unit_ledger(current_actor(), unit_id)
        return _statement("unit", unit_id, args)


# --- awards ------------------------------------------------------------------------------


@blp.route("/awards")
class Awards(MethodView):
    @idempotent
    @secured(blp, 201, TransferSchema, body=AwardCreateSchema, **IDEMPOTENCY_DOC)
    def post(self, data):
        """Ask for a discretionary award (pending until someone else approves it)."""
        actor = current_actor()
        recipient_type = "person" if "person_id" in data else "unit"
        row = operations.create_manual_award(
            actor=actor,
            community_id=data["community_id"],
            recipient_type=recipient_type,
            recipient_id=data[f"{recipient_type}_id"],
            kind=data["kind"],
            amount=data["amount"],
            memo=data["memo"],
            evidence=data["evidence"],
            # The client's key may be as long as the column; its digest always fits.
            idempotency_key=f"manual:{actor.person_id}:{hashlib.sha256(_request_key().encode()).hexdigest()}",
        )
        return _one(row)


def _request_key() -> str:
    return request.headers.get("Idempotency-Key", "").strip()


@blp.route("/awards/queue")
class AwardQueue(MethodView):
    @secured(blp, 200, QueuePageSchema, query=QueueQuerySchema)
    def get(self, args):
        """Pending awards to approve within my scope, oldest first, each with what I may do with it."""
        actor = current_actor()
        if not actor.can_somewhere("awards.approve"):
            raise Forbidden("forbidden", "没有审批积分的权限")
        older = args.get("older_than_hours")
        stmt = queries.approval_queue_stmt(
            scope=actor.scope_filter("awards.approve", _nodes.c.path),
            community_id=args.get("community_id"),
            kind=args.get("kind"),
            reason=args.get("reason"),
            older_than=utcnow() - timedelta(hours=older) if older is not None else None,
        )
        page = _page(stmt, args, newest_first=False)
        allowed = allowed_actions(actor, page["items"])
        for row in page["items"]:
            row["allowed_actions"] = allowed[row["id"]]
        return paged(page)


def _page(stmt: sa.Select, args: dict, *, newest_first: bool) -> dict:
    """A keyset page of transfers by id (the queue oldest first, browsing newest first)."""
    page = keyset(
        stmt,
        keys=[(Transfer.__table__.c.id, newest_first)],
        cursor=decode_cursor(args.get("cursor")),
        per_page=args["per_page"],
        fetch="mappings",
    )
    page["items"] = _with_parties(page["items"])
    return page


@blp.route("/awards/<int:transfer_id>/approve")
class AwardApprove(MethodView):
    @idempotent
    @secured(blp, 200, TransferSchema, **IDEMPOTENCY_DOC)
    def post(self, transfer_id):
        """Post a pending award (not to oneself, not one's own request or verification)."""
        return _one(operations.approve_award(actor=current_actor(), transfer_id=transfer_id))


@blp.route("/awards/<int:transfer_id>/reject")
class AwardReject(MethodView):
    @idempotent
    @secured(blp, 200, TransferSchema, body=RejectSchema, **IDEMPOTENCY_DOC)
    def post(self, data, transfer_id):
        """Void a pending award with a reason."""
        return _one(
            operations.reject_award(actor=current_actor(), transfer_id=transfer_id, reason=data["reason"])
        )


@blp.route("/awards/bulk-approve")
class AwardBulkApprove(MethodView):
    @idempotent
    @secured(blp, 200, TransferSchema(many=True), body=BulkApproveSchema, **IDEMPOTENCY_DOC)
    def post(self, data):
        """Approve many pending awards at once: all of them, or none with the reason for each refusal."""
        return _with_parties(operations.bulk_approve(actor=current_actor(), transfer_ids=data["ids"]))


@blp.route("/transfers/<int:transfer_id>/reverse")
class TransferReverse(MethodView):
    @idempotent
    @secured(blp, 201, TransferSchema, body=ReverseSchema, **IDEMPOTENCY_DOC)
    def post(self, data, transfer_id):
        """Correct a posted transfer with a reversal (fails with insufficient_points if spent)."""
        return _one(
            operations.reverse_transfer(actor=current_actor(), transfer_id=transfer_id, reason=data["reason"])
        )


# --- browsing for supervisors and staff --------------------------------------------------


@blp.route("/ledger/transfers")
class Transfers(MethodView):
    @secured(blp, 200, TransferPageSchema, query=TransferQuerySchema)
    def get(self, args):
        """Browse the ledger within my scope (supervisors, staff, street admins, admins)."""
        actor = current_actor()
        if not actor.can_somewhere("ledger.read"):
            raise Forbidden("forbidden", "没有查看台账的权限")
        stmt = queries.transfers_stmt(
            scope=actor.scope_filter("ledger.read", _nodes.c.path),
            **{k: args.get(k) for k in ("community_id", "kind", "reason", "status", "start", "end")},
        )
        page = _page(stmt, args, newest_first=True)
        return paged(page)


@blp.route("/ledger/transfers/<int:transfer_id>")
class TransferItem(MethodView):
    @secured(blp, 200, TransferSchema)
    def get(self, transfer_id):
        """One transfer: ledger readers in scope, or a person whose account it touches."""
        actor = current_actor()
        row = queries.get_transfer(transfer_id)
        if row is None:
            raise NotFound("not_found", "未找到")  # the same answer as out of scope: ids are not probed
        owners = queries.account_owners({row["debit_account_id"], row["credit_account_id"]})
        if ("person", actor.person_id) not in owners.values():
            actor.require("ledger.read", get_node(row["community_id"]).path)
        return _one(row)


@blp.route("/ledger/verification")
class LatestVerification(MethodView):
    @secured(blp, 200, VerificationSchema)
    def get(self):
        """The result of the latest ledger verification (nightly, or `flask points verify`)."""
        actor = current_actor()
        if not actor.can_somewhere("ledger.read"):
            raise Forbidden("forbidden", "没有查看台账的权限")
        result = queries.latest_verification()
        if result is None:
            raise NotFound("no_verification", "台账尚未校验过")
        paths = dict(
            session()
            .execute(sa.select(_nodes.c.id, _nodes.c.path).where(_nodes.c.level == "community"))
            .all()
        )
        heads = {k: v for k, v in result.heads.items() if actor.can("ledger.read", paths.get(int(k)))}
        return {**result.model_dump(), "heads": heads}


@blp.route("/ledger/discretionary")
class Discretionary(MethodView):
    @secured(blp, 200, DiscretionarySchema(many=True))
    def get(self):
        """Share of discretionary (manual) points per community, approver and kind."""
        actor = current_actor()
        if not actor.can_somewhere("ledger.read"):
            raise Forbidden("forbidden", "没有查看台账的权限")
        rows = queries.discretionary_share(scope=actor.scope_filter("ledger.read", _nodes.c.path))
        for row in rows:
            row["share"] = round(row["discretionary"] / row["total"], 4) if row["total"] else 0.0
        return rows


@blp.route("/ledger/budgets")
class Budgets(MethodView):
    @secured(blp, 200, BudgetSchema, body=BudgetSchema)
    def put(self, data):
        """Set a community pool's annual issuing budget (street admins and admins)."""
        return operations.set_budget(actor=current_actor(), **data)
