"""The lists paged by cursor, on the demo: through the API every row comes once, in the list's
order, two at a time; a cursor of another list is refused (400 `invalid_cursor`); the pages
walk the same rows by their next links, in Chinese, in English and in 大字模式."""

from __future__ import annotations

import pytest

from points.demo.plan import DEMO_PASSWORD, LOGINS
from points.pagination import encode_cursor
from tests.keyset_walk import assert_api_walk, assert_foreign_cursor_refused, page_walk

PHONES = {login.key: login.phone for login in LOGINS}


class Api:
    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **kw):
        return self.client.get(path, headers=self.headers, **kw)


def _api(app, key: str) -> Api:
    client = app.test_client()
    answer = client.post("/api/v1/auth/token", json={"phone": PHONES[key], "password": DEMO_PASSWORD})
    return Api(client, answer.json["token"])


def _pages(app, key: str, **cookies):
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    answer = client.post("/login", data={"phone": PHONES[key], "password": DEMO_PASSWORD})
    assert answer.status_code == 302
    return client


API_LISTS = [
    ("admin", "/api/v1/activities", {}),
    ("staff", "/api/v1/store/items", {}),
    ("staff", "/api/v1/store/items", {"manage": "true"}),
    ("staff", "/api/v1/store/vouchers", {}),
    ("admin", "/api/v1/demands", {}),
    ("admin", "/api/v1/resources", {}),
    ("resident", "/api/v1/me/notices", {}),
    ("supervisor", "/api/v1/flags", {}),
]


@pytest.mark.parametrize(("login", "path", "params"), API_LISTS)
def test_an_api_list_pages_every_row_once_in_order(demo, login, path, params):
    app, _ = demo
    assert_api_walk(_api(app, login).get, path, **params)


def test_the_lists_keep_their_order_across_pages(demo):
    app, _ = demo
    admin = _api(app, "admin")
    starts = [
        a["starts_at"] for a in admin.get("/api/v1/activities", query_string={"per_page": 100}).json["items"]
    ]
    assert starts == sorted(starts, reverse=True)
    resident = _api(app, "resident")
    made = [
        n["created_at"]
        for n in resident.get("/api/v1/me/notices", query_string={"per_page": 100}).json["items"]
    ]
    assert made == sorted(made, reverse=True)


def _foreign(app) -> str:
    with app.test_request_context("/api/v1/me/claims"):
        return encode_cursor((1,))


def test_every_api_list_refuses_a_cursor_of_another_list(demo):
    app, _ = demo
    admin, staff, resident = _api(app, "admin"), _api(app, "staff"), _api(app, "resident")
    activity = admin.get("/api/v1/activities").json["items"][0]["id"]
    task = staff.get("/api/v1/tasks").json["items"][0]["id"]
    me = resident.get("/api/v1/me").json["id"]
    cursor = _foreign(app)
    for api, path in [
        (admin, "/api/v1/activities"),
        (admin, f"/api/v1/activities/{activity}/checkins"),
        (resident, "/api/v1/me/checkins"),
        (resident, f"/api/v1/people/{me}/checkins"),
        (staff, "/api/v1/store/items"),
        (resident, "/api/v1/me/vouchers"),
        (staff, "/api/v1/store/vouchers"),
        (admin, "/api/v1/demands"),
        (admin, "/api/v1/resources"),
        (admin, "/api/v1/projects"),
        (resident, "/api/v1/me/notices"),
        (admin, "/api/v1/flags"),
        (staff, f"/api/v1/tasks/{task}/claims"),
    ]:
        assert_foreign_cursor_refused(api.get, path, cursor)
    # A cursor of the same list's page is another list's too.
    with app.test_request_context("/flags"):
        page_cursor = encode_cursor((10**9,))
    assert_foreign_cursor_refused(admin.get, "/api/v1/flags", page_cursor)


# Each page, who reads it, its page size, what names a row on it, and the API list it shows.
PAGE_LISTS = [
    (
        "/notices",
        "resident",
        "points.notices.pages.PER_PAGE",
        r"/notices/(\d+)/open",
        "/api/v1/me/notices",
        {},
    ),
    (
        "/flags",
        "supervisor",
        "points.supervision.pages.PAGE_SIZE",
        r'href="/flags/(\d+)"',
        "/api/v1/flags",
        {},
    ),
    (
        "/store",
        "resident",
        "points.store.pages.shop.PER_PAGE",
        r'href="/store/items/(\d+)"',
        "/api/v1/store/items",
        {},
    ),
    (
        "/store/manage",
        "staff",
        "points.store.pages.manage.PER_PAGE",
        r'href="/store/manage/items/(\d+)"',
        "/api/v1/store/items",
        {"manage": "true"},
    ),
]


@pytest.mark.parametrize(("path", "login", "size", "pattern", "api_path", "params"), PAGE_LISTS)
@pytest.mark.parametrize("cookies", [{}, {"lang": "en"}, {"large_text": "1"}], ids=["zh", "en", "large"])
def test_a_list_page_walks_every_row_once_by_its_links(
    demo, monkeypatch, path, login, size, pattern, api_path, params, cookies
):
    app, _ = demo
    module, name = size.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", 2)
    expected = _api(app, login).get(api_path, query_string={**params, "per_page": 100}).json["items"]
    walked = page_walk(_pages(app, login, **cookies), path, pattern)
    assert [int(i) for i in walked] == [row["id"] for row in expected]
    assert len(expected) >= 3
