"""The main list pages and their API run as many SQL statements for a page of 4 rows as for a
page of 20: whatever is read per row is read for all the page's rows at once (no N+1)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from points.db import get_db
from points.ledger import pages as ledger_pages
from points.people import pages as people_pages

SMALL, LARGE = 4, 20


@contextmanager
def counted():
    """The number of statements sent to the database while the block runs."""
    statements = []
    engine = get_db().engine

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def crowd(world, make_person, award, save):
    """Thirty residents with an award each (half of them waiting for approval), so every list
    holds more rows than the larger page."""
    people = [make_person(community=world.community) for _ in range(30)]
    for n, person in enumerate(people):
        award(n + 1, person=person, reason="checkin_award", auto=n % 2 == 0)
        award(1, reason="checkin_award", auto=True)
    save()
    return people


def statements_per_size(get, monkeypatch, sizes: dict[str, object]) -> dict[int, int]:
    found = {}
    get(SMALL)  # the first request of a login may write its session's last use
    for size in (SMALL, LARGE):
        for name, module in sizes.items():
            monkeypatch.setattr(module, name, size)
        with counted() as statements:
            answer = get(size)
        assert answer.status_code == 200
        found[size] = len(statements)
    return found


PAGES = {
    "/people": (people_pages, "PAGE_SIZE"),
    "/audit": (people_pages, "PAGE_SIZE"),
    "/ledger": (ledger_pages, "PER_PAGE"),
    "/approvals": (ledger_pages, "QUEUE_PER_PAGE"),
    "/points": (ledger_pages, "PER_PAGE"),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_list_page_statements_do_not_grow_with_the_page(crowd, world, page_as, monkeypatch, path):
    module, name = PAGES[path]
    client = page_as(world.resident if path == "/points" else world.checker)

    counts = statements_per_size(lambda size: client.get(path), monkeypatch, {name: module})

    assert 0 < counts[SMALL] == counts[LARGE], counts


API = [
    "/api/v1/people",
    "/api/v1/audit",
    "/api/v1/ledger/transfers",
    "/api/v1/awards/queue",
    "/api/v1/me/statement?kind=xingan",
]


@pytest.mark.parametrize("path", API)
def test_list_api_statements_do_not_grow_with_the_page(crowd, world, api_as, monkeypatch, path):
    api = api_as(world.resident if "/me/" in path else world.checker)
    joiner = "&" if "?" in path else "?"

    counts = statements_per_size(lambda size: api.get(f"{path}{joiner}per_page={size}"), monkeypatch, {})

    assert 0 < counts[SMALL] == counts[LARGE], counts
