"""Items and vouchers as the API returns them and the pages show them: one view of each, with
what the reader may do (`allowed_actions`) computed by the rules the operations run."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from sqlmodel import select

from points.access import Actor
from points.checkin.qr import public_url
from points.db import session
from points.errors import DomainError, NotFound
from points.ledger.queries import award_states, balances_of_person
from points.org.models import Station, Unit
from points.org.queries import get_node
from points.people.queries import get_person
from points.store.codes import spaced
from points.store.models import Item, ItemKind, Voucher, VoucherState
from points.store.operations import voucher_code
from points.store.queries import find_voucher, get_item, people_names, store_communities, used_by_item
from points.store.rules import allowed_actions, can_see, redeem_refusal, refusal


def visible_item(actor: Actor, item_id: int) -> Item:
    """An item of one of the reader's communities, or of a community whose store they run or
    read; 404 otherwise (its existence is not revealed)."""
    item = get_item(item_id)
    if item.community_id in store_communities(get_person(actor.person_id)):
        return item
    path = get_node(item.community_id).path
    if any(actor.can(a, path) for a in ("store.manage", "store.pickup", "store.report")):
        return item
    raise NotFound("item_not_found", "商品不存在")


def visible_voucher(actor: Actor, voucher_id: int) -> Voucher:
    """A voucher its owner or the staff of its community may see; 404 for anyone else."""
    voucher = find_voucher(voucher_id)
    if voucher is None or not can_see(actor, voucher, get_node(voucher.community_id).path):
        raise NotFound("voucher_not_found", "兑换券不存在")
    return voucher


def _refusal(exc: DomainError | None) -> dict | None:
    return None if exc is None else {"code": exc.code, "message": exc.message, "refusal": exc}


def _station_names(ids: set[int]) -> dict[int, str]:
    """Names of a few stations, from the session's identity map where they are loaded already."""
    return {station_id: session().get(Station, station_id).name for station_id in ids}


def _unit_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in session().exec(select(Unit).where(Unit.id.in_(ids)))}


def photo_url(item: Item) -> str | None:
    return url_for("store_pages.photo", name=item.photo) if item.photo else None


def item_views(actor: Actor, items: list[Item], *, now: datetime) -> list[dict]:
    """Each item with whether the reader could redeem it now, and if not, why."""
    balances = balances_of_person(actor.person_id)
    used = used_by_item(actor.person_id, items, now)
    stations = _station_names({i.station_id for i in items if i.station_id})
    units = _unit_names({i.sponsor_unit_id for i in items if i.sponsor_unit_id})
    views = []
    for item in items:
        refused = redeem_refusal(
            item, now=now, available=balances[item.kind]["available"], used=used.get(item.id, 0)
        )
        sponsor = None
        if item.sponsor_unit_id or item.sponsor_name:
            sponsor = {
                "unit_id": item.sponsor_unit_id,
                "name": units.get(item.sponsor_unit_id, item.sponsor_name),
            }
        views.append(
            {
                **item.model_dump(),
                "item": item,
                "photo_url": photo_url(item),
                "kind_name": ItemKind(item.kind).title,
                "station_name": stations.get(item.station_id),
                "sponsor": sponsor,
                "redeemable": refused is None,
                "refusal": _refusal(refused),
                "used": used.get(item.id, 0),
            }
        )
    return views


def voucher_views(actor: Actor, rows: list[tuple[Voucher, Item]], *, now: datetime) -> list[dict]:
    """Each voucher with its item, what the reader may do, and (for its owner) its code."""
    names = people_names({v.person_id for v, _ in rows} - {actor.person_id}) | {actor.person_id: actor.name}
    stations = _station_names({i.station_id for _, i in rows if i.station_id})
    corrections = award_states([v.correction_transfer_id for v, _ in rows if v.correction_transfer_id])
    paths: dict[int, str] = {}
    views = []
    for voucher, item in rows:
        if voucher.community_id not in paths:
            paths[voucher.community_id] = get_node(voucher.community_id).path
        own = voucher.person_id == actor.person_id
        code = voucher_code(voucher) if own else None
        correction = corrections.get(voucher.correction_transfer_id)
        views.append(
            {
                **voucher.model_dump(),
                "voucher": voucher,
                "item": item,
                "item_name": item.name,
                "person_name": names.get(voucher.person_id, ""),
                "state_name": VoucherState(voucher.state).title,
                "spaced_number": spaced(voucher.number),
                "code": code,
                "qr_url": public_url(f"/store/v/{code}") if code else None,
                "station_id": item.station_id,
                "station_name": stations.get(item.station_id),
                "correction": {"transfer_id": correction["transfer_id"], "state": correction["state"]}
                if correction
                else None,
                "allowed_actions": allowed_actions(actor, voucher, path=paths[voucher.community_id], now=now),
            }
        )
    return views


def why_not(actor: Actor, voucher: Voucher, action: str, *, now: datetime) -> DomainError | None:
    """The refusal a page shows where it offers no button (e.g. why a resident cannot cancel)."""
    return refusal(actor, voucher, action, path=get_node(voucher.community_id).path, now=now)
