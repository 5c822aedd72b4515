"""The staff dashboard's charts: points issued per month by kind, and participation (party
members and residents who earned points each month), each from one grouped statement."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from points.charts import bar_chart, fill_months, month_bounds
from points.db import session
from points.evaluation.queries import issued_by_month_stmt, participation_stmt
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
