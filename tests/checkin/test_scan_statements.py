"""The scan path's round trips, counted: a crowd's first scans and repeats run on every phone at
once, so what each one sends to the database is kept to a few statements (token and grants;
station key, activity and the person's latest check-in, with the person's check-in lock on
PostgreSQL; the insert that also checks the one stay at a time)."""

from __future__ import annotations

from tests.checkin.test_api import token_for
from tests.ledger.test_statement_counts import counted


def sent(statements: list[str]) -> list[str]:
    """The statements the request itself sent (the tests' own savepoints left out)."""
    return [s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_first_scan_sends_three_statements_and_a_repeat_two(world, running, api_as):
    client = api_as(world.resident)
    token = token_for(world, running)
    with counted() as first:
        r = client.post("/api/v1/scan", json={"token": token})
    assert r.status_code == 200 and r.json["outcome"] == "checked_in", r.json
    first = sent(first)
    assert len(first) == 3, first
    assert first[0].lstrip().startswith("SELECT") and "api_tokens" in first[0]
    assert "station_keys" in first[1]
    assert first[2].lstrip().startswith("INSERT INTO checkins") and "NOT (EXISTS" in first[2]

    with counted() as again:
        r = client.post("/api/v1/scan", json={"token": token})
    assert r.json["outcome"] == "already_in"
    assert len(sent(again)) == 2, sent(again)


def test_the_check_in_lock_is_taken_with_the_scans_first_read_on_postgresql(world, running, api_as, app):
    with counted() as statements:
        api_as(world.resident).post("/api/v1/scan", json={"token": token_for(world, running)})
    locking = [s for s in sent(statements) if "pg_advisory_xact_lock" in s]
    if app.extensions["points_db"].dialect == "postgresql":
        assert len(locking) == 1 and "station_keys" in locking[0]
    else:
        # SQLite's write transaction is the lock.
        assert locking == []
