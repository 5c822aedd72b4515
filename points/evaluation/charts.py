"""The staff dashboard's charts: points issued per month by kind, participation (party members
and residents who earned points each month), demands received and answered per month, the tasks
that gave the most hours of service, and, for a street, its communities side by side; each
from one grouped statement (other domains' numbers through their own queries)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from points.board.service import task_hours_stmt
from points.charts import bar_chart, fill_months, month_bounds, row_chart
from points.db import session
from points.demands.queries import demands_by_month_stmt
from points.evaluation.queries import communities_side_by_side_stmt, issued_by_month_stmt, participation_stmt
from points.ledger.models import Kind


def issued_chart(node_path: str, today: date) -> dict:
    bounds, labels = month_bounds(today)
    rows = session().execute(issued_by_month_stmt(bounds=bounds, node_path=node_path)).mappings()
    kinds = Kind.values()
    values = fill_months(
        rows,
        labels,
        list(kinds),
        key_of=lambda r: r["kind"],
        month_of=lambda r: r["month"],
        value_of=lambda r: r["points"],
    )
    titles = Kind.titles()
    return bar_chart(_("每月发放的积分"), labels, [(k, _(titles[k]), values[k]) for k in kinds])


def participation_chart(node_path: str, today: date) -> dict:
    bounds, labels = month_bounds(today)
    rows = session().execute(participation_stmt(bounds=bounds, node_path=node_path)).mappings()
    values = fill_months(
        rows,
        labels,
        ["members", "residents"],
        key_of=lambda r: "members" if r["is_party_member"] else "residents",
        month_of=lambda r: r["month"],
        value_of=lambda r: r["people"],
    )
    return bar_chart(
        _("每月参与的人数"),
        labels,
        [("members", _("党员"), values["members"]), ("residents", _("居民"), values["residents"])],
    )


def demands_chart(node_path: str, today: date) -> dict:
    bounds, labels = month_bounds(today)
    rows = session().execute(demands_by_month_stmt(bounds=bounds, node_path=node_path)).mappings()
    values = fill_months(
        rows,
        labels,
        ["received", "answered"],
        key_of=lambda r: r["what"],
        month_of=lambda r: r["month"],
        value_of=lambda r: r["demands"],
    )
    return bar_chart(
        _("每月收到与答复的居民需求"),
        labels,
        [("received", _("收到"), values["received"]), ("answered", _("已答复"), values["answered"])],
    )


def top_tasks_chart(node_path: str, today: date, *, top: int = 10) -> dict:
    bounds, _labels = month_bounds(today)
    stmt = task_hours_stmt(since=bounds[0], until=bounds[-1], node_path=node_path, limit=top)
    rows = list(session().execute(stmt).mappings())
    return row_chart(
        _("服务时长最多的任务"),
        _("任务"),
        [r["title"] for r in rows],
        _("小时"),
        [round(float(r["hours"] or 0), 1) for r in rows],
    )


def community_charts(node_path: str, today: date) -> tuple[dict, dict]:
    """A street's communities side by side over the last 12 months: points issued, and how many
    people earned some."""
    bounds, _labels = month_bounds(today)
    stmt = communities_side_by_side_stmt(start=bounds[0], end=bounds[-1], node_path=node_path)
    rows = list(session().execute(stmt).mappings())
    names = [r["name"] for r in rows]
    return (
        row_chart(_("各社区发放的积分"), _("社区"), names, _("积分"), [int(r["points"]) for r in rows]),
        row_chart(_("各社区参与的人数"), _("社区"), names, _("人数"), [int(r["people"]) for r in rows]),
    )
