"""Fixtures for the org tests: a small tree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


@pytest.fixture
def tree(make_node):
    """street S1 with communities A (grid GA1) and A2; street S2 with B (grid GB1)."""
    city = make_node("city")
    district = make_node("district", city)
    s1, s2 = make_node("street", district), make_node("street", district)
    a, a2, b = make_node("community", s1), make_node("community", s1), make_node("community", s2)
    return SimpleNamespace(
        city=city,
        district=district,
        s1=s1,
        s2=s2,
        a=a,
        a2=a2,
        b=b,
        ga1=make_node("grid", a),
        gb1=make_node("grid", b),
    )
