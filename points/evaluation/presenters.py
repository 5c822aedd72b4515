"""What the API and the pages show of periods, objections, deductions and rankings: the same
fields, with the actions the reader may take (from the one transition table)."""

from __future__ import annotations

from datetime import datetime

from points.access import Actor
from points.db import LOCAL_TZ
from points.errors import DomainError, NotFound
from points.evaluation.certificates import Certificate
from points.evaluation.models import Deduction, Objection, Period
from points.evaluation.queries import (
    mask_name,
    period_span,
    person_ranking_stmt,
    ranking_rows,
    unit_ranking_stmt,
    with_ratings,
)
from points.evaluation.transitions import allowed_actions
from points.org.queries import find_node
from points.people.queries import person_names


def period_view(actor: Actor | None, period: Period, *, now: datetime) -> dict:
    view = {column: getattr(period, column) for column in Period.model_fields}
    view["allowed_actions"] = allowed_actions(actor, period, now=now) if actor else []
    return view


def objection_views(actor: Actor | None, objections: list[Objection]) -> list[dict]:
    names = person_names({o.subject_id for o in objections})
    views = []
    for objection in objections:
        view = {column: getattr(objection, column) for column in Objection.model_fields}
        view["subject_name"] = mask_name(names.get(objection.subject_id, ""))
        view["allowed_actions"] = allowed_actions(actor, objection) if actor else []
        views.append(view)
    return views


def deduction_view(actor: Actor, deduction: Deduction) -> dict:
    view = {column: getattr(deduction, column) for column in Deduction.model_fields}
    view["allowed_actions"] = allowed_actions(actor, deduction)
    return view


def public_rows(rows: list[dict]) -> list[dict]:
    """A list others may see: masked names, never phones."""
    return [
        {
            "rank": r["rank"],
            "person_id": r["person_id"],
            "name": mask_name(r["name"]),
            "points": r["points"],
            "stars": r.get("stars"),
            "exempt": r.get("exempt"),
        }
        for r in rows
    ]


def ranking(actor: Actor, args: dict) -> dict:
    """A ranking within the reader's scope: a node's subtree (staff, street admins, supervisors)
    or a unit's people (its admin). Raises `invalid_period`, `scope_required`, `not_found`,
    `forbidden`."""
    start, end, label = period_span(args["period_type"], args["key"], args.get("until"))
    node_path = None
    if args.get("node_id"):
        node = find_node(args["node_id"])
        if node is None:
            raise NotFound("not_found", "未找到")
        actor.require("evaluation.read", node.path)
        node_path = node.path
    elif args.get("unit_id") and args["subject"] == "person":
        actor.require_unit(args["unit_id"])
    elif not actor.is_global_admin:
        raise DomainError("scope_required", "请选择社区、网格、街道或单位", 422, errors={"node_id": ["必填"]})
    offset = (args["page"] - 1) * args["per_page"]
    if args["subject"] == "unit":
        stmt = unit_ranking_stmt(kind=args["kind"], start=start, end=end, node_path=node_path)
    else:
        stmt = person_ranking_stmt(
            kind=args["kind"], start=start, end=end, node_path=node_path, unit_id=args.get("unit_id")
        )
    rows = ranking_rows(stmt, limit=args["per_page"], offset=offset)
    if args["subject"] == "person" and args["kind"] == "hongsong" and args["period_type"] == "year":
        with_ratings(rows, year=start.astimezone(LOCAL_TZ).year, community_path=node_path)
    return {
        "label": label,
        "kind": args["kind"],
        "items": rows,
        "page": args["page"],
        "per_page": args["per_page"],
    }


def verification(matches: bool, certificate: Certificate | None) -> dict:
    """What a verification page shows: whether it matches, and what the ledger holds (name
    masked, as for anyone who scans it)."""
    if certificate is None:
        return {"matches": False, "rows": []}
    return {
        "matches": matches,
        "name": mask_name(certificate.name),
        "kind": certificate.kind,
        "first": certificate.first,
        "last": certificate.last,
        "total": certificate.total,
        "hours": certificate.hours,
        "digest": certificate.digest,
        "rows": [
            {
                "day": r["day"],
                "reason": r["reason"],
                "title": r["title"],
                "hours": r["hours"],
                "amount": r["amount"],
            }
            for r in certificate.rows
        ],
    }
