"""Cursor lists on pages: a page past the end, an old page number or a bad cursor never
answer a bare error: the reader gets a page and a way back to the first one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from points.demo.plan import DEMO_PASSWORD, LOGINS
from points.pagination import encode_cursor

PHONES = {login.key: login.phone for login in LOGINS}
# Each list page, and a demo login who may read it.
LISTS = [
    ("/ledger", "supervisor"),
    ("/audit", "supervisor"),
    ("/people", "staff"),
    ("/approvals", "staff"),
    ("/points", "resident"),
    ("/notices", "resident"),
    ("/flags", "supervisor"),
    ("/checkins", "resident"),
    ("/store", "resident"),
    ("/store/vouchers", "resident"),
    ("/store/manage", "staff"),
    ("/store/desk", "staff"),
]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
BAD = ["0", "-3", "abc", "1.5", "99999999999999999999", ""]


def _client(app, key: str):
    client = app.test_client()
    answer = client.post("/login", data={"phone": PHONES[key], "password": DEMO_PASSWORD})
    assert answer.status_code == 302, answer.data.decode()
    return client


@pytest.mark.parametrize(("path", "login"), LISTS)
def test_a_list_page_reads_a_bad_page_number_as_the_first_page(demo, path, login):
    app, _ = demo
    client = _client(app, login)
    first = client.get(path)
    assert first.status_code == 200
    for value in BAD:
        answer = client.get(f"{path}?page={value}")
        assert answer.status_code == 200, (path, value, answer.data.decode()[:500])


@pytest.mark.parametrize(("path", "login"), LISTS)
def test_a_page_past_the_end_offers_the_way_back_to_the_first(demo, path, login):
    app, _ = demo
    client = _client(app, login)
    for query in ("page=999999", "page=50", "cursor=not-ours"):
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 200, (path, query)
        html = answer.data.decode()
        assert "第 999999 / " not in html and "第 50 / " not in html


@pytest.mark.parametrize(
    ("path", "login", "past"),
    [
        ("/ledger", "supervisor", (0,)),
        ("/points", "resident", (0,)),
        ("/approvals", "staff", (2**31 - 1,)),
        ("/notices", "resident", (LONG_AGO, 0)),
        ("/flags", "supervisor", (0,)),
        ("/checkins", "resident", (LONG_AGO, 0)),
        ("/store/vouchers", "resident", (0,)),
        ("/store/manage", "staff", (0,)),
    ],
)
def test_a_cursor_past_the_last_row_links_to_the_first_page(demo, path, login, past):
    app, _ = demo
    with app.test_request_context(path):
        beyond = encode_cursor(past)
    html = _client(app, login).get(f"{path}?cursor={beyond}").data.decode()
    assert "这一页没有内容" in html and f'href="{path}">回到第一页' in html
    english = _client(app, login).get(f"{path}?cursor={beyond}&lang=en").data.decode()
    assert "Back to the first page" in english
