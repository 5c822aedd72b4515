"""The pickup desk: staff scan a voucher's QR (USB scanner or camera) or type its number, hand
the piece over, cancel with a reason, and ask for or decide refunds of picked-up vouchers."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from points.auth.current import current_actor, login_required
from points.db import session, utcnow
from points.errors import DomainError, NotFound, ValidationFailed
from points.org.models import OrgNode
from points.store import operations, presenters, queries
from points.store.pages import bp
from points.store.schemas import LookupSchema, VoucherReasonSchema
from points.web import list_cursor, load_form, page_action, refuse

PER_PAGE = 20


def _desk_actor():
    actor = current_actor()
    if not actor.can_somewhere("store.pickup"):
        abort(403)
    return actor


@bp.get("/store/desk")
@login_required
def desk():
    actor = _desk_actor()
    scope = actor.scope_filter("store.pickup", OrgNode.path)
    waiting = queries.vouchers_page(
        queries.vouchers_stmt(scope=scope, state="issued"), cursor=list_cursor(), per_page=PER_PAGE
    )
    now = utcnow()
    waiting["items"] = presenters.voucher_views(actor, [tuple(r) for r in waiting["items"]], now=now)
    corrections = presenters.voucher_views(
        actor,
        [
            tuple(r)
            for r in session()
            .execute(queries.vouchers_stmt(scope=scope, corrections_pending=True).limit(50))
            .all()
        ],
        now=now,
    )
    pending = [v for v in corrections if v["correction"] and v["correction"]["state"] == "pending"]
    return render_template("store/desk.html", waiting=waiting, corrections=pending)


@bp.post("/store/desk/lookup")
@login_required
def lookup():
    actor = _desk_actor()
    try:
        text = load_form(LookupSchema(), request.form)["code"]
        found = page_action(lambda: operations.look_up_voucher(actor=actor, text=text))
    except (NotFound, ValidationFailed) as exc:
        refuse(exc)
        found = None
    if found is None:
        return redirect(url_for("store_pages.desk"))
    return redirect(url_for("store_pages.voucher", voucher_id=found.id))


@bp.get("/store/v/<code>")
@login_required
def scanned(code: str):
    """What a voucher's QR opens: for the desk, that voucher; for its owner, their voucher."""
    actor = current_actor()
    try:
        found = operations.look_up_voucher(actor=actor, text=code, for_desk=False)
    except DomainError:
        found = None
    if found is None:
        abort(404)
    return redirect(url_for("store_pages.voucher", voucher_id=found.id))


def _voucher_action(voucher_id: int, call, *, done: str, **fields):
    """One operation on a voucher at the desk, then back to the voucher."""
    actor = current_actor()
    page_action(lambda: call(actor=actor, voucher_id=voucher_id, **fields), done=done)
    return redirect(url_for("store_pages.voucher", voucher_id=voucher_id))


def _reason() -> str:
    return load_form(VoucherReasonSchema(), request.form)["reason"]


@bp.post("/store/vouchers/<int:voucher_id>/pickup")
@login_required
def pickup(voucher_id: int):
    return _voucher_action(voucher_id, operations.pickup_voucher, done=_("已领取"))


@bp.post("/store/vouchers/<int:voucher_id>/refund-request")
@login_required
def refund_request(voucher_id: int):
    reason = _reason()
    return _voucher_action(
        voucher_id,
        operations.request_voucher_refund,
        reason=reason,
        done=_("已申请退还，等待其他工作人员审批"),
    )


@bp.post("/store/vouchers/<int:voucher_id>/refund-approve")
@login_required
def refund_approve(voucher_id: int):
    return _voucher_action(
        voucher_id, operations.decide_voucher_refund, approve=True, done=_("已同意退还，积分已退回")
    )


@bp.post("/store/vouchers/<int:voucher_id>/refund-reject")
@login_required
def refund_reject(voucher_id: int):
    reason = _reason()
    return _voucher_action(
        voucher_id, operations.decide_voucher_refund, approve=False, reason=reason, done=_("已驳回退还申请")
    )
