"""Reading the org tree, stations and units."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Select
from sqlmodel import select

from points.access import Actor
from points.db import session
from points.errors import NotFound
from points.org.models import OrgNode, Station, Unit


def get_node(node_id: int) -> OrgNode:
    node = session().get(OrgNode, node_id)
    if node is None:
        raise NotFound("node_not_found", "组织节点不存在")
    return node


def find_node(node_id: int | None) -> OrgNode | None:
    return session().get(OrgNode, node_id) if node_id is not None else None


def get_station(station_id: int) -> Station:
    station = session().get(Station, station_id)
    if station is None:
        raise NotFound("station_not_found", "阵地不存在")
    return station


def get_unit(unit_id: int) -> Unit:
    unit = session().get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found", "单位不存在")
    return unit


def stations(*, node_id: int | None = None) -> list[Station]:
    """Stations by id, or those within one node's subtree (`node_not_found` for an unknown node)."""
    stmt = select(Station).join(OrgNode, OrgNode.id == Station.node_id).order_by(Station.id)
    if node_id is not None:
        stmt = stmt.where(OrgNode.path.startswith(get_node(node_id).path, autoescape=True))
    return list(session().exec(stmt).all())


def all_units() -> list[Unit]:
    return list(session().exec(select(Unit).order_by(Unit.id)).all())


def unit_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in session().exec(select(Unit).where(Unit.id.in_(ids))).all()}


def all_nodes() -> list[OrgNode]:
    return list(session().exec(select(OrgNode).order_by(OrgNode.path)).all())


def tree() -> list[dict]:
    """The whole tree as nested dicts (the tree is small and not private)."""
    by_parent: dict[int | None, list[OrgNode]] = {}
    for node in all_nodes():
        by_parent.setdefault(node.parent_id, []).append(node)

    def build(parent_id: int | None) -> list[dict]:
        return [
            {"id": n.id, "level": n.level, "name": n.name, "children": build(n.id)}
            for n in sorted(by_parent.get(parent_id, []), key=lambda n: n.id)
        ]

    return build(None)


def community_of(node: OrgNode) -> OrgNode | None:
    """The community a node lies in (itself, or a grid's parent)."""
    if node.level == "community":
        return node
    if node.level == "grid":
        return find_node(node.parent_id)
    return None


def station_path(station: Station) -> str:
    return get_node(station.node_id).path


def community_names(ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {n.id: n.name for n in session().exec(select(OrgNode).where(OrgNode.id.in_(ids))).all()}


def community_ids_where(scope: sa.ColumnElement[bool]) -> list[int]:
    """The ids of the communities whose path meets `scope` (a clause on `OrgNode.path`). Named
    by id, a filter reads each community's rows through its own index; joined by path, the
    planner guesses how many communities match and may scan a whole table instead."""
    query = sa.select(OrgNode.id).where(OrgNode.level == "community", scope).order_by(OrgNode.id)
    return list(session().scalars(query))


def node_ids_in_scope(actor: Actor, action: str) -> Select:
    """The ids of the nodes where the actor may take `action`: a statement to filter by."""
    return select(OrgNode.id).where(actor.scope_filter(action, OrgNode.path))
