"""双报告: for a work unit, the monthly report of its people's service (who, what, when, points)
and, once a period is frozen, a statement per member (their frozen score, rank and stars, and
the service lines behind them). Read by the unit's admin (or an admin), as pages and files.

Both are read from the ledger as it stands (`queries.unit_service_stmt`, one statement);
the frozen figures come from the period's snapshot, which later corrections never change."""

from __future__ import annotations

from datetime import datetime

from points.access import Actor
from points.db import LOCAL_TZ, session
from points.errors import Forbidden, NotFound
from points.evaluation.models import Period, UnitReport
from points.evaluation.queries import (
    get_period,
    period_span,
    unit_frozen_periods,
    unit_service_stmt,
    unit_snapshot_rows,
)
from points.evaluation.report_queries import find_prepared, prepared_months, services_behind
from points.i18n import translate
from points.ledger.models import Kind, Reason
from points.org.models import Unit
from points.org.queries import get_unit

MOST_LINES = 5000
REPORT_COLUMNS = ("day", "name", "what", "kind_name", "points", "hours")
STATEMENT_COLUMNS = ("day", "what", "kind_name", "points")


def readable_unit(actor: Actor, unit_id: int | None) -> Unit:
    """The unit asked for (by default the actor's first): its unit_admin, or an admin; other
    units are not found."""
    if unit_id is None:
        if not actor.unit_ids:
            raise Forbidden("forbidden", "单位报告供单位管理员查看")
        unit_id = actor.unit_ids[0]
    actor.require_unit(unit_id, action="unit.read")
    return get_unit(unit_id)


def _line(row, service: dict | None = None) -> dict:
    reason = translate(Reason.titles()[row["reason"]])
    what = (service["title"] if service else "") or row["memo"] or reason
    if row["reason"] == "reversal":
        what = f"{reason}：{row['memo']}" if row["memo"] else reason
    return {
        "transfer_id": row["transfer_id"],
        "day": row["created_at"].astimezone(LOCAL_TZ).date().isoformat(),
        "person_id": row["person_id"],
        "name": row["name"],
        "what": what,
        "kind": row["kind"],
        "kind_name": translate(Kind.titles()[row["kind"]]),
        "points": row["points"],
        "hours": service["hours"] if service else 0,
    }


def _lines(unit_id: int, start: datetime, end: datetime, **filters) -> list[dict]:
    stmt = unit_service_stmt(unit_id=unit_id, start=start, end=end, **filters).limit(MOST_LINES)
    rows = [dict(r) for r in session().execute(stmt).mappings()]
    behind = services_behind(rows)
    # A reversal takes points back, never hours.
    return [_line(r, behind.get((r["ref_type"], r["ref_id"])) if r["points"] > 0 else None) for r in rows]


def month_report(unit: Unit, month: str) -> dict:
    """The unit's people's service in a month: every line, and totals per person and kind."""
    start, end, label = period_span("month", month)
    lines = _lines(unit.id, start, end)
    people: dict[str, dict] = {}
    for line in lines:
        entry = people.setdefault(line["name"], {"name": line["name"], "hongsong": 0, "xingan": 0})
        entry[line["kind"]] += line["points"]
    totals = {kind: sum(p[kind] for p in people.values()) for kind in Kind.values()}
    return {"unit": unit, "label": label, "lines": lines, "people": list(people.values()), "totals": totals}


def unit_period(unit: Unit, period_id: int) -> tuple[Period, list[dict]]:
    """A frozen period listing the unit's people, with their snapshot rows."""
    period = get_period(period_id)
    rows = unit_snapshot_rows(period.id, unit.id) if period.state == "frozen" else []
    if not rows:
        raise NotFound("not_found", "未找到")
    return period, rows


def member_statement(unit: Unit, period_id: int, person_id: int) -> dict:
    """One member's statement for a frozen period: the frozen figures and their service lines."""
    period, rows = unit_period(unit, period_id)
    frozen = next((r for r in rows if r["person_id"] == person_id), None)
    if frozen is None:
        raise NotFound("not_found", "未找到")
    lines = _lines(unit.id, period.starts_at, period.ends_at, kind=period.kind, person_id=person_id)
    return {"unit": unit, "period": period, "frozen": frozen, "lines": lines}


def frozen_periods(unit: Unit) -> list[Period]:
    return unit_frozen_periods(unit.id)


# --- the reports the monthly job prepared -------------------------------------------------


def prepared(unit: Unit) -> list[UnitReport]:
    """The unit's monthly reports as the monthly job prepared them, newest first."""
    return prepared_months(unit.id)


def prepared_report(unit: Unit, month: str) -> dict:
    """One prepared monthly report with its lines in the reader's language; `not_found` for a
    month not prepared (yet)."""
    found = find_prepared(unit.id, month)
    if found is None:
        raise NotFound("not_found", "未找到")
    lines = []
    for stored in found.lines:
        row = {**stored, "created_at": datetime.fromisoformat(stored["created_at"])}
        service = {"title": stored["title"], "hours": stored["hours"]} if stored["title"] else None
        lines.append(_line(row, service))
    return {"unit": unit, "report": found, "lines": lines}
