"""Bar charts drawn as SVG by the templates (`_charts.html`): the months a chart covers and the
geometry of its bars, computed here from numbers already summed by the database.

A chart is a dict: `title`, `labels` (one per group, e.g. a month), `series` (each a `key`,
`name` and one value per label) and the bars' rectangles in the SVG's own units. The same
numbers go into the table shown under the chart, for screen readers and for copying."""

from __future__ import annotations

import math
from datetime import date, datetime

from points.db import LOCAL_TZ

# Labels are drawn at the page's text size (16 px, 20 px in 大字模式), so the margins leave room for them.
WIDTH, HEIGHT = 320, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 6, 12, 30
COLORS = ("#b23a3a", "#2f7d4a", "#2d5fa8", "#a86b1d")


def month_bounds(today: date, months: int = 12) -> tuple[list[datetime], list[str]]:
    """The `months` calendar months up to and including today's (Asia/Shanghai): their
    `months + 1` boundaries and their labels ("2026-07")."""
    firsts = []
    year, month = today.year, today.month
    for _ in range(months + 1):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    firsts = list(reversed(firsts[:months]))
    after = firsts[-1]
    after = date(after.year + after.month // 12, after.month % 12 + 1, 1)
    bounds = [datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ) for d in (*firsts, after)]
    return bounds, [d.strftime("%Y-%m") for d in firsts]


def _nice_top(value: int) -> int:
    """The axis' top: four equal whole steps (the chart's ticks), each 1, 2, 2.5 or 5 times a
    power of ten, reaching at least `value` (and at least 4): points are whole numbers, so a
    tick never reads 0.5 or rounds down to a value below it."""
    need = max(math.ceil(value / 4), 1)
    step = 1
    while True:
        for times, over in ((1, 1), (2, 1), (5, 2), (5, 1)):
            if step * times % over == 0 and step * times // over >= need:
                return step * times // over * 4
        step *= 10


def bar_chart(title: str, labels: list[str], series: list[tuple[str, str, list[int]]]) -> dict:
    """A grouped bar chart: one group per label, one bar per series (key, name, values)."""
    top = _nice_top(max((v for _, _, values in series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    bars = []
    for s, (_, _, values) in enumerate(series):
        for i, value in enumerate(values):
            height = plot_h * max(value, 0) / top
            bars.append(
                {
                    "x": round(LEFT + i * group + group * 0.1 + s * bar, 1),
                    "y": round(TOP + plot_h - height, 1),
                    "width": round(bar, 1),
                    "height": round(height, 1),
                    "color": COLORS[s % len(COLORS)],
                    "label": labels[i],
                    "value": value,
                    "series": s,
                }
            )
    return {
        "title": title,
        "labels": labels,
        "series": [
            {"key": key, "name": name, "values": values, "color": COLORS[s % len(COLORS)]}
            for s, (key, name, values) in enumerate(series)
        ],
        "bars": bars,
        "ticks": [{"value": top * k // 4, "y": round(TOP + plot_h - plot_h * k / 4, 1)} for k in range(5)],
        "axis": {"left": LEFT, "right": WIDTH - RIGHT, "bottom": TOP + plot_h, "top": TOP},
        # Month labels under every group when they fit at the page's text size, else fewer.
        "label_every": 1 if group >= 44 else 2 if group >= 21 else 3,
        "group": round(group, 1),
        "width": WIDTH,
        "height": HEIGHT,
        "empty": not any(v for _, _, values in series for v in values),
    }


# A row of a horizontal chart: its label's line at the page's text size, then its bar.
ROW, BAR, LABEL_CHARS = 48, 16, 14


def row_chart(title: str, header: str, labels: list[str], name: str, values: list[float]) -> dict:
    """One bar per label, drawn across under the label (long names, such as task titles or
    communities, stay readable on a phone); `header` heads the labels' column of the table."""
    top = _nice_top(max((v for v in values), default=0))
    room = WIDTH - 4 - 64
    rows = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * ROW
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        width = round(room * max(value, 0) / top, 1)
        rows.append({"label": short, "y": y, "bar_y": y + 24, "width": width, "value": value, "full": label})
    return {
        "title": title,
        "header": header,
        "labels": labels,
        "series": [{"key": "value", "name": name, "values": values, "color": COLORS[0]}],
        "rows": rows,
        "bar": BAR,
        "width": WIDTH,
        "height": max(len(labels), 1) * ROW + 8,
        "empty": not any(values),
    }


def fill_months(rows, labels: list[str], keys: list[str], *, key_of, month_of, value_of) -> dict:
    """Per key, one value per month from grouped rows (months without rows are 0)."""
    out = {key: [0] * len(labels) for key in keys}
    for row in rows:
        key, month = key_of(row), month_of(row)
        if key in out and month is not None and 0 <= month < len(labels):
            out[key][month] += int(value_of(row) or 0)
    return out
