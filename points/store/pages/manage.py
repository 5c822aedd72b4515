"""Staff manage their communities' items: add, edit (price changes are audited), stock moves,
photos."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from points.access import Actor
from points.auth.current import current_actor, login_required
from points.db import session
from points.errors import DomainError, ValidationFailed
from points.org.models import OrgNode, Station, Unit
from points.store import operations, queries
from points.store.models import ItemKind, LimitPeriod, StockMoveKind
from points.store.pages import bp
from points.store.schemas import ItemCreateSchema, ItemFieldsSchema, StockMoveSchema
from points.web import field_limits, list_cursor, load_form, page_action, refuse

PER_PAGE = 30

# Fields an edit form may empty: an empty box clears them.
_CLEARABLE = (
    "limit_count",
    "limit_period",
    "station_id",
    "sponsor_unit_id",
    "available_from",
    "available_until",
)
_TEXTS = ("description", "sponsor_name")


def _manager() -> Actor:
    actor = current_actor()
    if not actor.can_somewhere("store.manage"):
        abort(403)
    return actor


def _choices(actor: Actor) -> dict:
    """Communities, stations and units for the form's selects, within the actor's scope."""
    scope = actor.scope_filter("store.manage", OrgNode.path)
    communities = session().exec(select(OrgNode).where(OrgNode.level == "community", scope)).all()
    stations = (
        session()
        .exec(select(Station).join(OrgNode, OrgNode.id == Station.node_id).where(scope, Station.is_active))
        .all()
    )
    units = session().exec(select(Unit).order_by(Unit.name)).all()
    return {"communities": communities, "stations": stations, "units": units}


def _form_page(template: str, actor: Actor, **context):
    schema = ItemCreateSchema()
    limits = {
        name: field_limits(schema, name) for name in ("name", "description", "price", "stock", "limit_count")
    }
    return render_template(
        template,
        limits=limits,
        kinds=ItemKind.titles(),
        periods=LimitPeriod.titles(),
        move_kinds=StockMoveKind.titles(),
        **_choices(actor),
        **context,
    )


@bp.get("/store/manage")
@login_required
def manage():
    actor = _manager()
    data = queries.items_page(
        queries.items_stmt(scope=actor.scope_filter("store.manage", OrgNode.path), active_only=False),
        cursor=list_cursor(),
        per_page=PER_PAGE,
    )
    return render_template("store/manage.html", data=data, kinds=ItemKind.titles())


@bp.route("/store/manage/new", methods=["GET", "POST"])
@login_required
def new_item():
    actor = _manager()
    errors, values = {}, request.form
    if request.method == "POST":
        try:
            data = load_form(ItemCreateSchema(), request.form)
        except ValidationFailed as exc:
            errors = exc.errors or {}
        else:
            item = page_action(lambda: operations.create_item(actor=actor, **data), done=_("商品已上架"))
            if item is not None:
                return redirect(url_for("store_pages.edit_item", item_id=item.id))
    return _form_page("store/item_form.html", actor, item=None, errors=errors, values=values)


def _changes(form) -> dict:
    data = load_form(ItemFieldsSchema(), form)
    for name in _CLEARABLE:
        if name in form and not form.get(name, "").strip():
            data[name] = None
    for name in _TEXTS:
        if name in form and not form.get(name, "").strip():
            data[name] = ""
    return data


@bp.route("/store/manage/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int):
    actor = _manager()
    item = queries.get_item(item_id)
    actor.require("store.manage", queries.community_path(item.community_id))
    errors = {}
    if request.method == "POST":
        try:
            changes = _changes(request.form)
        except ValidationFailed as exc:
            errors = exc.errors or {}
        else:
            if page_action(
                lambda: operations.update_item(actor=actor, item_id=item_id, **changes), done=_("已保存")
            ):
                return redirect(url_for("store_pages.edit_item", item_id=item_id))
    return _form_page(
        "store/item_form.html",
        actor,
        item=item,
        errors=errors,
        values=request.form if errors else {},
        moves=queries.stock_moves(item_id),
        names=queries.people_names({m.actor_id for m in queries.stock_moves(item_id) if m.actor_id}),
    )


@bp.post("/store/manage/items/<int:item_id>/stock")
@login_required
def stock(item_id: int):
    actor = _manager()
    try:
        data = load_form(StockMoveSchema(), request.form)
    except ValidationFailed as exc:
        refuse(exc)
    else:
        page_action(
            lambda: operations.adjust_stock(actor=actor, item_id=item_id, **data), done=_("库存已更新")
        )
    return redirect(url_for("store_pages.edit_item", item_id=item_id))


@bp.post("/store/manage/items/<int:item_id>/photo")
@login_required
def upload_photo(item_id: int):
    actor = _manager()
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        refuse(DomainError("invalid_photo", "请选择一张照片", 422))
    else:
        data = upload.read()
        page_action(
            lambda: operations.set_item_photo(actor=actor, item_id=item_id, data=data), done=_("照片已更新")
        )
    return redirect(url_for("store_pages.edit_item", item_id=item_id))


# Room for a photo up to PHOTO_MAX_BYTES (points.errors reads the mark).
upload_photo.takes_upload = True
