"""Changing the org tree, stations and units."""

from __future__ import annotations

from points.access import Actor
from points.audit.operations import audit
from points.db import flush_or_conflict
from points.errors import DomainError, Forbidden
from points.i18n import as_written
from points.labels import N_
from points.org.models import CHILD_LEVEL, OrgLevel, OrgNode, Station, Unit
from points.org.queries import get_node, get_station


def create_node(*, actor: Actor | None, parent_id: int | None, level: str, name: str) -> OrgNode:
    """Add a node under a parent (a city has none). Needs `org.manage` on the parent.

    Raises `invalid_level` (422) when the level does not fit under the parent,
    `not_found` / `forbidden` outside or without `org.manage`, `duplicate`.
    """
    if parent_id is None:
        if level != OrgLevel.CITY:
            raise DomainError("invalid_level", "只有市级节点可以没有上级", 422)
        if actor is not None and not actor.is_global_admin:
            raise Forbidden("forbidden", "只有系统管理员可以创建市级节点")
        path_prefix = "/"
    else:
        parent = get_node(parent_id)
        if actor is not None:
            actor.require("org.manage", parent.path)
        child = CHILD_LEVEL.get(parent.level)
        if child != level:
            expected = child.value if child else "无"
            field_message = as_written(N_("应为 %(level)s"), level=expected)
            raise DomainError(
                "invalid_level",
                "%(parent)s 下只能创建 %(level)s 级节点",
                422,
                values={"parent": parent.name, "level": expected},
                errors={"level": [field_message]},
            )
        path_prefix = parent.path
    node = OrgNode(parent_id=parent_id, level=level, name=name.strip(), path="")
    flush_or_conflict("同一上级下已有同名节点", add=node)
    node.path = f"{path_prefix}{node.id}/"
    audit(actor, "org.node_created", node, node_id=node.id, detail={"name": node.name, "level": level})
    return node


def create_station(*, actor: Actor | None, node_id: int, kind: str, name: str, address: str = "") -> Station:
    """Add a station at a node; needs `stations.manage` there. Raises `duplicate`."""
    node = get_node(node_id)
    if actor is not None:
        actor.require("stations.manage", node.path)
    station = Station(node_id=node.id, kind=kind, name=name.strip(), address=address.strip())
    flush_or_conflict("该节点下已有同名阵地", add=station)
    audit(actor, "station.created", station, detail={"name": station.name})
    return station


def update_station(*, actor: Actor, station_id: int, changes: dict) -> Station:
    """Rename, move within scope, or (de)activate a station."""
    station = get_station(station_id)
    actor.require("stations.manage", get_node(station.node_id).path)
    if "node_id" in changes and changes["node_id"] != station.node_id:
        actor.require("stations.manage", get_node(changes["node_id"]).path)
    for key in ("name", "address", "kind", "is_active", "node_id"):
        if key in changes:
            setattr(station, key, changes[key].strip() if isinstance(changes[key], str) else changes[key])
    flush_or_conflict("该节点下已有同名阵地")
    audit(actor, "station.updated", station, detail=dict(changes))
    return station


def create_unit(
    *, actor: Actor | None, name: str, party_org_name: str, address: str = "", contact_phone: str = ""
) -> Unit:
    """Add a unit (驻区单位); needs `units.manage` somewhere. Raises `duplicate`."""
    if actor is not None:
        actor.require_somewhere("units.manage")
    unit = Unit(
        name=name.strip(),
        party_org_name=party_org_name.strip(),
        address=address.strip(),
        contact_phone=contact_phone.strip(),
    )
    flush_or_conflict("已有同名单位", add=unit)
    audit(actor, "unit.created", unit, unit_id=unit.id, detail={"name": unit.name})
    return unit
