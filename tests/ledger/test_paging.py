"""Keyset pages of the ledger's lists: no duplicates or gaps while rows are added between pages,
the way back by the previous cursor, running balances across pages, capped counts."""

from __future__ import annotations

import html
import re

import pytest

from points import pagination
from points.ledger import pages as ledger_pages


def walk(api, url: str, *, params: dict, between=None) -> list[dict]:
    """Every page of a list, following `next_cursor`; `between()` runs after each page."""
    pages = []
    cursor = None
    while True:
        answer = api.get(url, query_string={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.json
        pages.append(answer.json)
        if between is not None:
            between()
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return pages


def ids(pages: list[dict]) -> list[int]:
    return [row["id"] for page in pages for row in page["items"]]


def test_ledger_browsing_pages_are_stable_while_transfers_are_added(world, api_as, award):
    before = [award(amount, auto=True)["id"] for amount in range(1, 8)]
    supervisor = api_as(world.staff)

    pages = walk(
        supervisor, "/api/v1/ledger/transfers", params={"per_page": 3}, between=lambda: award(1, auto=True)
    )

    seen = ids(pages)
    # Newest first: rows added meanwhile are newer than the first page and never shift the rest.
    assert len(seen) == len(set(seen)) and seen == sorted(seen, reverse=True)
    assert set(before) <= set(seen) and seen[-1] == min(before)
    assert [len(p["items"]) for p in pages[:-1]] == [3] * (len(pages) - 1)


def test_ledger_browsing_goes_back_by_the_previous_cursor(world, api_as, award):
    for amount in range(1, 8):
        award(amount, auto=True)
    api = api_as(world.staff)
    first = api.get("/api/v1/ledger/transfers", query_string={"per_page": 3})
    second = api.get(
        "/api/v1/ledger/transfers", query_string={"per_page": 3, "cursor": first.json["next_cursor"]}
    )

    back = api.get(
        "/api/v1/ledger/transfers", query_string={"per_page": 3, "cursor": second.json["prev_cursor"]}
    )

    assert ids([back.json]) == ids([first.json]) and back.json["prev_cursor"] is None
    assert first.json["prev_cursor"] is None and 'rel="next"' in first.headers["Link"]
    assert 'rel="prev"' in second.headers["Link"] and "cursor=" in second.headers["Link"]


def test_approval_queue_pages_oldest_first_without_gaps_while_awards_arrive(world, api_as, award):
    waiting = [award(amount)["id"] for amount in range(1, 6)]
    added = []
    checker = api_as(world.checker)

    pages = walk(
        checker, "/api/v1/awards/queue", params={"per_page": 2}, between=lambda: added.append(award(1)["id"])
    )

    seen = ids(pages)
    assert len(seen) == len(set(seen)) and seen == sorted(seen)
    # Every award that waited is there once; those that arrived while paging follow them.
    assert seen[: len(waiting)] == waiting and set(seen) <= set(waiting + added)


def test_statement_pages_carry_the_running_balance(world, api_as, award):
    for amount in range(1, 8):
        award(amount, reason="checkin_award", auto=True)
    resident = api_as(world.resident)
    whole = resident.get("/api/v1/me/statement", query_string={"kind": "xingan", "per_page": 50}).json

    pages = walk(
        resident,
        "/api/v1/me/statement",
        params={"kind": "xingan", "per_page": 2},
        between=lambda: award(100, reason="checkin_award", auto=True),
    )

    rows = [row for page in pages for row in page["items"]]
    # Later pages keep the balances of the history as it stood when paging began.
    assert [r["balance"] for r in rows[2:]] == [r["balance"] for r in whole["items"][2:]]
    assert [r["balance"] for r in whole["items"]] == [28, 21, 15, 10, 6, 3, 1]
    assert len(ids(pages)) == len(set(ids(pages)))


def test_a_cursor_that_is_not_ours_is_a_clear_400(world, api_as):
    answer = api_as(world.staff).get("/api/v1/ledger/transfers", query_string={"cursor": "forged.cursor"})

    assert answer.status_code == 400 and answer.json["code"] == "invalid_cursor"
    assert answer.mimetype == "application/problem+json"


def test_counts_stop_at_the_cap(world, api_as, award, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    for amount in range(1, 6):
        award(amount, auto=True)

    page = api_as(world.staff).get("/api/v1/ledger/transfers", query_string={"per_page": 2}).json

    assert (page["total"], page["total_capped"]) == (3, True)


@pytest.mark.parametrize("path", ["/ledger", "/approvals", "/points"])
def test_list_pages_follow_their_cursors(world, page_as, award, path, monkeypatch):
    monkeypatch.setattr(ledger_pages, "PER_PAGE", 5)
    monkeypatch.setattr(ledger_pages, "QUEUE_PER_PAGE", 5)
    for amount in range(1, 20):
        award(amount, reason="checkin_award", auto=amount % 2 == 0)
    person = world.resident if path == "/points" else world.checker
    client = page_as(person)

    first = client.get(path).data.decode()

    assert "cursor=" in first and "下一页" in first and "上一页" not in first
    later = html.unescape(re.search(r'href="([^"]*cursor=[^"]+)">下一页', first).group(1))
    second = client.get(later)
    assert second.status_code == 200 and "上一页" in second.data.decode()
