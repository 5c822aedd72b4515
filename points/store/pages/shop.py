"""The store as residents see it: items as cards, an item with its confirmation step, my
vouchers, one voucher with its QR."""

from __future__ import annotations

import secrets

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from points import photos
from points.auth.current import current_actor, login_required
from points.checkin.qr import qr_svg
from points.db import utcnow
from points.ledger.queries import balances_of_person
from points.people.queries import get_person
from points.store import operations, presenters, queries
from points.store.models import PHOTOS, ItemKind, LimitPeriod, VoucherState
from points.store.pages import bp
from points.store.rules import redeemable_kinds
from points.store.schemas import CancelSchema, RedeemFormSchema
from points.web import list_cursor, load_form, page_action

PER_PAGE = 20


@bp.get("/store")
@login_required
def index():
    actor = current_actor()
    kind = request.args.get("kind") if request.args.get("kind") in ItemKind.values() else None
    balances = balances_of_person(actor.person_id)
    affordable = {k: b["available"] for k, b in balances.items()}
    stmt = queries.items_stmt(
        community_ids=queries.store_communities(get_person(actor.person_id)), kind=kind, affordable=affordable
    )
    data = queries.items_page(stmt, affordable=affordable, cursor=list_cursor(), per_page=PER_PAGE)
    data["items"] = presenters.item_views(actor, data["items"], now=utcnow())
    return render_template(
        "store/index.html",
        data=data,
        kind=kind,
        kinds=ItemKind.titles(),
        tabs={k: v for k, v in ItemKind.titles().items() if k in redeemable_kinds()},
        balances=balances,
    )


@bp.get("/store/items/<int:item_id>")
@login_required
def item(item_id: int):
    actor = current_actor()
    view = presenters.item_views(actor, [presenters.visible_item(actor, item_id)], now=utcnow())[0]
    return render_template(
        "store/item.html", item=view, kinds=ItemKind.titles(), periods=LimitPeriod.titles()
    )


@bp.get("/store/items/<int:item_id>/confirm")
@login_required
def confirm(item_id: int):
    """The confirmation step: price, balance after, and a form with a key of its own."""
    actor = current_actor()
    view = presenters.item_views(actor, [presenters.visible_item(actor, item_id)], now=utcnow())[0]
    available = balances_of_person(actor.person_id)[view["kind"]]["available"]
    return render_template(
        "store/confirm.html",
        item=view,
        available=available,
        client_key=secrets.token_urlsafe(16),
        kinds=ItemKind.titles(),
    )


@bp.post("/store/items/<int:item_id>/redeem")
@login_required
def redeem(item_id: int):
    actor = current_actor()
    form = load_form(RedeemFormSchema(), request.form)
    voucher = page_action(
        lambda: operations.redeem_item(
            actor=actor, item_id=item_id, client_key=form["client_key"], price=form.get("price")
        ),
        done=_("兑换成功，请到领取点出示兑换券"),
    )
    if voucher is None:
        return redirect(url_for("store_pages.item", item_id=item_id))
    return redirect(url_for("store_pages.voucher", voucher_id=voucher.id))


@bp.get("/store/vouchers")
@login_required
def my_vouchers():
    actor = current_actor()
    state = request.args.get("state") if request.args.get("state") in VoucherState.values() else None
    data = queries.vouchers_page(
        queries.vouchers_stmt(person_id=actor.person_id, state=state), cursor=list_cursor(), per_page=PER_PAGE
    )
    data["items"] = presenters.voucher_views(actor, [tuple(r) for r in data["items"]], now=utcnow())
    return render_template("store/vouchers.html", data=data, state=state, states=VoucherState.titles())


@bp.get("/store/vouchers/<int:voucher_id>")
@login_required
def voucher(voucher_id: int):
    """One voucher: its QR and number for its owner; the desk's buttons for staff."""
    actor = current_actor()
    found = presenters.visible_voucher(actor, voucher_id)
    now = utcnow()
    view = presenters.voucher_views(actor, [(found, queries.get_item(found.item_id))], now=now)[0]
    why = None
    if found.person_id == actor.person_id and "cancel" not in view["allowed_actions"]:
        refused = presenters.why_not(actor, found, "cancel", now=now)
        why = refused.translated() if refused is not None else None
    showing_code = view["qr_url"] and found.state == VoucherState.ISSUED
    return render_template(
        "store/voucher.html",
        v=view,
        why=why,
        svg=qr_svg(view["qr_url"], label=_("兑换券二维码")) if showing_code else None,
        kinds=ItemKind.titles(),
    )


@bp.post("/store/vouchers/<int:voucher_id>/cancel")
@login_required
def cancel(voucher_id: int):
    actor = current_actor()
    page_action(
        lambda: operations.cancel_voucher(
            actor=actor, voucher_id=voucher_id, reason=load_form(CancelSchema(), request.form)["reason"]
        ),
        done=_("已取消，积分已退还"),
    )
    return redirect(url_for("store_pages.voucher", voucher_id=voucher_id))


@bp.get("/store/photos/<name>")
@login_required
def photo(name: str):
    path = photos.photo_path(PHOTOS, name)
    if path is None:
        abort(404)
    return send_file(path, mimetype=photos.MIMETYPE, max_age=0)
