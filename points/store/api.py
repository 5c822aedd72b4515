"""JSON endpoints of the points store: items, redeeming, vouchers, the pickup desk, the sponsor
report. Redeeming, cancelling and refund requests and decisions move points, so they take an
`Idempotency-Key` (the ledger's contract: a retry replays the first answer)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from points.access import Actor
from points.auth.current import current_actor
from points.db import utcnow
from points.endpoints import action_route, paged, secured
from points.errors import DomainError, problem_doc
from points.ledger.idempotency import DOC as IDEMPOTENCY_DOC
from points.ledger.idempotency import after_answer, idempotent
from points.ledger.queries import balances_of_person
from points.org.models import OrgNode
from points.pagination import decode_cursor
from points.people.queries import get_person
from points.store import operations, presenters, queries
from points.store.export import report_csv, report_xlsx
from points.store.models import Item
from points.store.report import circulation, sponsor_rows
from points.store.schemas import (
    CancelSchema,
    ItemCreateSchema,
    ItemFieldsSchema,
    ItemPageSchema,
    ItemQuerySchema,
    ItemSchema,
    LookupSchema,
    RedeemSchema,
    SponsorQuerySchema,
    SponsorReportSchema,
    StockMoveSchema,
    VoucherPageSchema,
    VoucherQuerySchema,
    VoucherReasonSchema,
    VoucherSchema,
)

blp = Blueprint(
    "store", __name__, url_prefix="/api/v1", description="Points store: items, vouchers, sponsors"
)
REFUSED = (
    "item_unavailable, kind_not_redeemable, limit_reached, out_of_stock, insufficient_points, price_changed"
)
VOUCHER_REFUSED = "already_picked_up, not_refundable, voucher_cancelled, voucher_expired, not_picked_up"
EXPORTS = {"content_type": "text/csv", "schema": {"type": "string"}, "success": True}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- items ------------------------------------------------------------------------------


def _one_item(actor: Actor, item) -> dict:
    return presenters.item_views(actor, [item], now=utcnow())[0]


@blp.route("/store/items")
class Items(MethodView):
    @secured(blp, 200, ItemPageSchema, query=ItemQuerySchema)
    def get(self, args):
        """Items of my communities' stores, what I can afford first; `manage` lists every item
        of the communities I run, inactive ones too; paged by cursor (`next_cursor`, the `Link`
        header)."""
        actor = current_actor()
        cursor = decode_cursor(args.get("cursor"))
        affordable = None
        if args["manage"]:
            stmt = queries.items_stmt(
                scope=actor.scope_filter("store.manage", OrgNode.path), active_only=False
            )
        else:
            balances = balances_of_person(actor.person_id)
            affordable = {kind: b["available"] for kind, b in balances.items()}
            stmt = queries.items_stmt(
                community_ids=queries.store_communities(get_person(actor.person_id)), affordable=affordable
            )
        if args.get("community_id"):
            stmt = stmt.where(Item.community_id == args["community_id"])
        if args.get("kind"):
            stmt = stmt.where(Item.kind == args["kind"])
        page = queries.items_page(stmt, affordable=affordable, cursor=cursor, per_page=args["per_page"])
        page["items"] = presenters.item_views(actor, page["items"], now=utcnow())
        return paged(page)

    @secured(blp, 201, ItemSchema, body=ItemCreateSchema)
    @blp.alt_response(422, **problem_doc("kind_not_redeemable, invalid_station, one_sponsor, invalid_limit"))
    def post(self, data):
        """Put an item in a community's store (staff); a starting stock counts as donated."""
        actor = current_actor()
        item = operations.create_item(actor=actor, **data)
        return _one_item(actor, item)


@blp.route("/store/items/<int:item_id>")
class OneItem(MethodView):
    @secured(blp, 200, ItemSchema)
    def get(self, item_id):
        actor = current_actor()
        return _one_item(actor, presenters.visible_item(actor, item_id))

    @secured(blp, 200, ItemSchema, body=ItemFieldsSchema)
    def patch(self, data, item_id):
        """Change an item (staff); every change, price included, is in the audit log."""
        actor = current_actor()
        presenters.visible_item(actor, item_id)
        return _one_item(actor, operations.update_item(actor=actor, item_id=item_id, **data))


@blp.route("/store/items/<int:item_id>/stock")
class ItemStock(MethodView):
    @secured(blp, 200, ItemSchema, body=StockMoveSchema)
    @blp.alt_response(409, **problem_doc("stock_negative"))
    def post(self, data, item_id):
        """Record a donation, a write-off or a stocktake (staff); stock never goes below zero."""
        actor = current_actor()
        presenters.visible_item(actor, item_id)
        operations.adjust_stock(actor=actor, item_id=item_id, **data)
        return _one_item(actor, queries.get_item(item_id))


_READ = "points.store.redeem_read"


def _sold_out(item_id: int) -> DomainError | None:
    """Refuse a redemption of an item sold out before its key is taken (the storm's many late
    requests): what the redemption reads is read here once and handed on to it."""
    actor = current_actor()
    read = request.environ[_READ] = queries.item_and_home(item_id, actor.person_id)
    try:
        price = RedeemSchema().load(request.get_json(silent=True) or {}).get("price")
    except (ValidationError, TypeError):
        return None  # the request's own parsing answers
    return operations.sold_out(actor, read, price=price)


@blp.route("/store/items/<int:item_id>/redeem")
class Redeem(MethodView):
    @idempotent(refuse_first=_sold_out)
    @secured(blp, 201, VoucherSchema, body=RedeemSchema, **IDEMPOTENCY_DOC)
    @blp.alt_response(409, **problem_doc(REFUSED))
    def post(self, data, item_id):
        """Redeem one piece: stock and points are taken in one transaction and a voucher issued."""
        actor = current_actor()
        redemption = operations.start_redemption(
            actor=actor, item_id=item_id, price=data.get("price"), read=request.environ.pop(_READ, None)
        )
        # The stock and the points are taken last, after the answer is stored: a storm on one
        # item queues on the locks that step holds.
        if redemption.pay is not None:
            after_answer(redemption.pay)
        return _voucher(actor, redemption.voucher, redemption.item)


# --- vouchers ---------------------------------------------------------------------------


def _voucher(actor: Actor, voucher, item=None) -> dict:
    item = item or queries.get_item(voucher.item_id)
    return presenters.voucher_views(actor, [(voucher, item)], now=utcnow())[0]


def _voucher_page(actor: Actor, stmt, args):
    """Vouchers newest first, paged by cursor (`next_cursor`, the `Link` header)."""
    page = queries.vouchers_page(stmt, cursor=decode_cursor(args.get("cursor")), per_page=args["per_page"])
    page["items"] = presenters.voucher_views(actor, [tuple(r) for r in page["items"]], now=utcnow())
    return paged(page)


@blp.route("/me/vouchers")
class MyVouchers(MethodView):
    @secured(blp, 200, VoucherPageSchema, query=VoucherQuerySchema)
    def get(self, args):
        """My vouchers, newest first, each with its code and what I may do."""
        actor = current_actor()
        stmt = queries.vouchers_stmt(person_id=actor.person_id, state=args.get("state"))
        return _voucher_page(actor, stmt, args)


@blp.route("/store/vouchers")
class Vouchers(MethodView):
    @secured(blp, 200, VoucherPageSchema, query=VoucherQuerySchema)
    def get(self, args):
        """Vouchers of the communities whose desk I run (staff); `corrections` for refund requests."""
        actor = current_actor()
        stmt = queries.vouchers_stmt(
            scope=actor.scope_filter("store.pickup", OrgNode.path),
            community_ids=[args["community_id"]] if args.get("community_id") else None,
            state=args.get("state"),
            corrections_pending=args["corrections"],
        )
        return _voucher_page(actor, stmt, args)


@blp.route("/store/vouchers/lookup")
class Lookup(MethodView):
    @secured(blp, 200, VoucherSchema, body=LookupSchema)
    @blp.alt_response(422, **problem_doc("invalid_voucher_code"))
    def post(self, data):
        """The voucher the desk scanned or typed (staff)."""
        actor = current_actor()
        return _voucher(actor, operations.look_up_voucher(actor=actor, text=data["code"]))


@blp.route("/store/vouchers/<int:voucher_id>")
class OneVoucher(MethodView):
    @secured(blp, 200, VoucherSchema)
    def get(self, voucher_id):
        actor = current_actor()
        return _voucher(actor, presenters.visible_voucher(actor, voucher_id))


@blp.route("/store/vouchers/<int:voucher_id>/pickup")
class Pickup(MethodView):
    @secured(blp, 200, VoucherSchema)
    @blp.alt_response(409, **problem_doc(VOUCHER_REFUSED))
    def post(self, voucher_id):
        """Hand the piece over (staff at the desk); a voucher is picked up once."""
        actor = current_actor()
        return _voucher(actor, operations.pickup_voucher(actor=actor, voucher_id=voucher_id))


def _voucher_move(name: str, endpoint: str, doc: str, call, schema=None, refusal=None, **fixed):
    """POST /store/vouchers/<id>/<name>: one operation that moves points back or asks to, under
    an idempotency key, with the fields of `schema` (when it takes any) and `fixed`; `refusal`:
    (status, codes) to document."""

    def post(self, *body, voucher_id):
        actor = current_actor()
        fields = body[0] if body else {}
        return _voucher(actor, call(actor=actor, voucher_id=voucher_id, **fixed, **fields))

    if refusal is not None:
        status, codes = refusal
        post = blp.alt_response(status, **problem_doc(codes))(post)
    post = idempotent(secured(blp, 200, VoucherSchema, body=schema, **IDEMPOTENCY_DOC)(post))
    view = type(endpoint, (MethodView,), {"post": post})
    return action_route(blp, f"/store/vouchers/<int:voucher_id>/{name}", endpoint, view, doc)


_voucher_move(
    "cancel",
    "Cancel",
    "Cancel before pickup (the owner; staff with a reason): refund and stock back.",
    operations.cancel_voucher,
    CancelSchema,
    (409, VOUCHER_REFUSED),
)
_voucher_move(
    "refund-request",
    "RefundRequest",
    "Ask to refund a picked-up voucher (staff): someone independent must approve it.",
    operations.request_voucher_refund,
    VoucherReasonSchema,
    (409, "not_picked_up, refund_pending, already_refunded"),
)
_voucher_move(
    "refund-approve",
    "RefundApprove",
    "Approve a refund request (staff other than its requester, independent of them).",
    operations.decide_voucher_refund,
    refusal=(403, "self_approval, maker_checker, not_independent"),
    approve=True,
)
_voucher_move(
    "refund-reject",
    "RefundReject",
    "Reject a refund request, with a reason (staff, independent as for approving).",
    operations.decide_voucher_refund,
    VoucherReasonSchema,
    approve=False,
)


# --- the sponsor report -----------------------------------------------------------------


def sponsor_report(actor: Actor, args: dict) -> list[dict]:
    """Rows a reader may see: store readers over their scope; a unit admin, their unit's."""
    if args.get("unit_id") and actor.administers_unit(args["unit_id"]):
        return sponsor_rows(unit_id=args["unit_id"], community_id=args.get("community_id"))
    actor.require_somewhere("store.report")
    return sponsor_rows(
        scope=actor.scope_filter("store.report", OrgNode.path),
        community_id=args.get("community_id"),
        unit_id=args.get("unit_id"),
    )


@blp.route("/store/sponsors")
class Sponsors(MethodView):
    @secured(blp, 200, SponsorReportSchema, query=SponsorQuerySchema)
    @blp.alt_response(200, **EXPORTS)
    @blp.alt_response(200, content_type=XLSX, schema={"type": "string", "format": "binary"}, success=True)
    def get(self, args):
        """Per community and sponsor: goods given, points redeemed against them, vouchers
        outstanding; and the points in circulation. `format=csv|xlsx` exports."""
        rows = sponsor_report(current_actor(), args)
        if args["format"] == "csv":
            return report_csv(rows, "sponsors")
        if args["format"] == "xlsx":
            return report_xlsx(rows, "sponsors")
        return {"rows": rows, "circulation": circulation(rows)}
