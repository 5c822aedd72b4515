"""The sponsor report: per community and sponsor, goods given against points redeemed and
outstanding, with the points in circulation; exportable as xlsx and CSV."""

from __future__ import annotations

from flask import abort, render_template, request

from points.auth.current import current_actor, login_required
from points.org.models import OrgNode
from points.org.queries import get_unit
from points.store.export import report_csv, report_xlsx
from points.store.models import ItemKind
from points.store.pages import bp
from points.store.report import circulation, sponsor_rows


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


@bp.get("/store/sponsors")
@login_required
def sponsors():
    actor = current_actor()
    community_id, unit_id = _int(request.args.get("community_id")), _int(request.args.get("unit_id"))
    if actor.can_somewhere("store.report"):
        rows = sponsor_rows(
            scope=actor.scope_filter("store.report", OrgNode.path), community_id=community_id, unit_id=unit_id
        )
        units = []
    elif actor.unit_ids:
        # A unit admin sees what their own unit gave, wherever it gave it.
        unit_id = unit_id if unit_id in actor.unit_ids else actor.unit_ids[0]
        rows = sponsor_rows(unit_id=unit_id, community_id=community_id)
        units = [get_unit(u) for u in actor.unit_ids]
    else:
        abort(403)
    fmt = request.args.get("format")
    if fmt == "csv":
        return report_csv(rows, "sponsors")
    if fmt == "xlsx":
        return report_xlsx(rows, "sponsors")
    return render_template(
        "store/sponsors.html",
        rows=rows,
        circulation=circulation(rows) if not units else [],
        units=units,
        unit_id=unit_id,
        kinds=ItemKind.titles(),
    )
