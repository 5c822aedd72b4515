"""Helpers for the tests that race real connections on a committed throwaway database: a place
of one's own in it, calls released together from a pool of threads, and a wait for a lock."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from points.org import operations as org
from tests.conftest import get_db_from


def new_street():
    """A city, district and street of their own: the database's rows stay between tests."""
    tag = uuid.uuid4().hex[:6]
    parent = None
    for level in ("city", "district", "street"):
        parent = org.create_node(
            actor=None, parent_id=parent.id if parent else None, level=level, name=f"{level}{tag}"
        )
    return parent


def new_community(name: str = "社区"):
    """A community in a street of its own."""
    return org.create_node(actor=None, parent_id=new_street().id, level="community", name=name)


def parallel(fn, args_list, threads: int) -> list:
    """`fn(*args)` for each args on a pool of `threads`; when all fit at once, they start together."""
    barrier = threading.Barrier(min(threads, len(args_list)))

    def run(args):
        if len(args_list) <= threads:
            barrier.wait()
        return fn(*args)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, args_list))


def wait_until_blocked_on_lock(app, never: str, timeout: float = 10.0) -> None:
    """Wait until some other session of this database waits for a row or key lock (PostgreSQL);
    fail with `never` when none does in time."""
    engine = get_db_from(app).engine
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError(never)


def second_waits_for_first(
    app, first: threading.Thread, second: threading.Thread, entered, release, never: str
):
    """Start `first`; once it has `entered` (an event it sets while holding its locks), start
    `second` and wait until it waits for a lock (failing with `never`); then `release` the first
    and wait for both to end."""
    first.start()
    assert entered.wait(10)
    second.start()
    try:
        wait_until_blocked_on_lock(app, never)
    finally:
        release.set()
        first.join(20)
        second.join(20)
