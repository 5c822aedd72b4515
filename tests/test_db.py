"""The service's database connections: settings every request runs with."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from points.db import session


def test_request_connection_has_jit_off_on_postgresql(base_app):
    if base_app.extensions["points_db"].dialect != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    with base_app.test_request_context("/"):
        assert session().execute(sa.text("SHOW jit")).scalar_one() == "off"
        assert session().execute(sa.text("SHOW lock_timeout")).scalar_one() != "0"
