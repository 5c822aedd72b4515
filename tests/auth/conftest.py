"""Fixtures for the auth tests: committed setup, and apps built with other settings."""

from __future__ import annotations

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
