"""The monthly jump's median is statistics.median's, without its checks."""

from __future__ import annotations

from statistics import median

from hypothesis import given
from hypothesis import strategies as st

from points.supervision.detectors.jumps import _median, _robust


@given(st.lists(st.integers(min_value=0, max_value=10**6).map(float), min_size=1, max_size=40))
def test_the_median_is_statistics_median(values):
    assert _median(values) == median(values)
    middle = median(values)
    assert _robust(values) == (middle, median(abs(v - middle) for v in values))
