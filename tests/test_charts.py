"""The charts' months and geometry (points.charts)."""

from __future__ import annotations

from datetime import date

from points.charts import bar_chart, fill_months, month_bounds


def test_twelve_months_up_to_this_one_across_a_new_year():
    bounds, labels = month_bounds(date(2026, 2, 14))
    assert labels[0] == "2025-03" and labels[-1] == "2026-02" and len(labels) == 12
    assert len(bounds) == 13
    assert bounds[0].date() == date(2025, 3, 1) and bounds[-1].date() == date(2026, 3, 1)
    assert month_bounds(date(2026, 12, 31))[0][-1].date() == date(2027, 1, 1)


def test_bars_scale_to_a_round_top_and_zero_is_flat():
    chart = bar_chart("t", ["2026-01", "2026-02"], [("a", "A", [0, 30]), ("b", "B", [7, 0])])
    assert [t["value"] for t in chart["ticks"]] == [0, 10, 20, 30, 40]
    heights = {(b["series"], b["label"]): b["height"] for b in chart["bars"]}
    assert heights[(0, "2026-01")] == 0 and heights[(0, "2026-02")] > heights[(1, "2026-01")] > 0
    assert all(b["x"] + b["width"] <= chart["width"] for b in chart["bars"])
    assert not chart["empty"] and bar_chart("t", ["x"], [("a", "A", [0])])["empty"]


def test_ticks_are_whole_and_distinct_even_for_small_counts():
    for top, ticks in ((1, [0, 1, 2, 3, 4]), (7, [0, 2, 4, 6, 8]), (100, [0, 25, 50, 75, 100])):
        chart = bar_chart("t", ["2026-01"], [("a", "A", [top])])
        assert [t["value"] for t in chart["ticks"]] == ticks


def test_months_without_rows_are_zero():
    rows = [{"k": "a", "m": 1, "v": 5}, {"k": "a", "m": 1, "v": 2}, {"k": "z", "m": 0, "v": 9}]
    out = fill_months(
        rows,
        ["m0", "m1", "m2"],
        ["a", "b"],
        key_of=lambda r: r["k"],
        month_of=lambda r: r["m"],
        value_of=lambda r: r["v"],
    )
    assert out == {"a": [0, 7, 0], "b": [0, 0, 0]}
