"""Fixtures for the people tests: a small tree, committed setup, another app with CSRF on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from points.db import session
from tests.conftest import get_db_from, make_test_app


@pytest.fixture
def save(app):
    """Commit the setup so far (into the test's transaction, which is still rolled back after)."""
    return lambda: session().commit()


@pytest.fixture
def fresh(app):
    """`fresh(Model, id)`: the row as it is now, after requests made in their own sessions."""

    def load(model, row_id):
        sess = session()
        sess.expire_all()
        return sess.get(model, row_id)

    return load


@pytest.fixture
def tree(make_node):
    """street S1 with communities A (grids GA1, GA2) and A2 (grid GA3); street S2 with B (grid GB1)."""
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
        ga2=make_node("grid", a),
        ga3=make_node("grid", a2),
        gb1=make_node("grid", b),
    )


@pytest.fixture
def app_with(app, database_url):
    """`app_with(**settings)`: another app on the test's connection, so it sees the test's rows."""
    made = []

    def make(**overrides):
        other = make_test_app(database_url, **overrides)
        get_db_from(other).bind = get_db_from(app).bind
        made.append(other)
        return other

    yield make
    for other in made:
        get_db_from(other).engine.dispose()
