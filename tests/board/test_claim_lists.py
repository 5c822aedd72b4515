"""My claims and the verification queue page by cursor, API and page: every claim once across
the pages while claims change between them, and a bounded number of statements whatever the
page size."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations as ops
from points.db import utcnow
from tests.keyset_walk import assert_api_walk
from tests.ledger.test_statement_counts import counted


@pytest.fixture
def submitted(board, make_task, actor_of):
    """Twelve tasks the member claimed (six for the unit too), each reported done."""
    earlier = utcnow() - timedelta(hours=3)
    claims = []
    for n in range(12):
        task = make_task(
            title=f"助老{n}",
            slots=3,
            requires_unit_confirm=n % 2 == 0,
            starts_at=utcnow() - timedelta(hours=1),
            now=earlier,
        )
        claim = ops.claim_task(actor=actor_of(board.member), task_id=task.id, now=earlier)
        ops.submit_claim(actor=actor_of(board.member), claim_id=claim.id, note=f"第{n}次")
        claims.append(claim)
        if n % 2 == 0:
            ops.claim_task(
                actor=actor_of(board.unit_admin), task_id=task.id, unit_id=board.unit.id, now=earlier
            )
    return claims


def _walk(api, path: str, per_page: int, between=None) -> list[int]:
    seen, cursor = [], None
    while True:
        query = {"per_page": per_page, **({"cursor": cursor} if cursor else {})}
        answer = api.get(path, query_string=query)
        assert answer.status_code == 200, answer.json
        seen += [c["id"] for c in answer.json["items"]]
        if between:
            between()
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return seen


def test_my_claims_page_by_cursor_latest_first(board, submitted, api_as):
    member = api_as(board.member)
    whole = [c["id"] for c in member.get("/api/v1/me/claims", query_string={"per_page": 100}).json["items"]]
    assert sorted(whole) == sorted(c.id for c in submitted)
    assert _walk(member, "/api/v1/me/claims", 5) == whole
    first = member.get("/api/v1/me/claims", query_string={"per_page": 5})
    assert 'rel="next"' in first.headers["Link"] and first.json["total"] == 12
    back = member.get("/api/v1/me/claims", query_string={"per_page": 5, "cursor": first.json["next_cursor"]})
    prev = member.get("/api/v1/me/claims", query_string={"per_page": 5, "cursor": back.json["prev_cursor"]})
    assert [c["id"] for c in prev.json["items"]] == whole[:5]


def test_a_unit_admin_pages_their_units_claims(board, submitted, api_as):
    admin = api_as(board.unit_admin)
    ids = _walk(admin, "/api/v1/me/claims", 2)
    assert len(ids) == 6 == len(set(ids))


def test_the_queue_pages_longest_waiting_first_while_claims_are_verified(board, submitted, api_as, actor_of):
    staff = api_as(board.staff)
    whole = [c["id"] for c in staff.get("/api/v1/claims/queue", query_string={"per_page": 100}).json["items"]]
    assert whole == [c.id for c in submitted]
    verified = iter(whole)

    def verify_one_already_seen():
        ops.verify_claim(actor=actor_of(board.checker), claim_id=next(verified), side="community")

    assert _walk(staff, "/api/v1/claims/queue", 4, verify_one_already_seen) == whole
    unit = api_as(board.unit_admin)
    assert _walk(unit, "/api/v1/claims/queue", 2) == [c.id for c in submitted[::2]]


def test_a_queue_cursor_is_refused_by_my_claims(board, submitted, api_as):
    staff = api_as(board.staff)
    cursor = staff.get("/api/v1/claims/queue", query_string={"per_page": 1}).json["next_cursor"]
    answer = staff.get("/api/v1/me/claims", query_string={"cursor": cursor})
    assert answer.status_code == 400 and answer.json["code"] == "invalid_cursor"
    assert "另一个列表" in answer.json["detail"]


def test_the_pages_link_to_the_next_and_previous_claims(board, submitted, page_as, monkeypatch):
    from points.board import pages

    monkeypatch.setattr(pages, "LIST_PER_PAGE", 5)
    for person, path in ((board.member, "/my/claims"), (board.staff, "/verify")):
        client = page_as(person)
        html = client.get(path).data.decode()
        assert "下一页" in html and "上一页" not in html
        following = html.split('href="')
        link = next(part.split('"')[0] for part in following if "cursor=" in part.split('"')[0])
        second = client.get(link.replace("&amp;", "&")).data.decode()
        assert "上一页" in second and "下一页" in second


@pytest.mark.parametrize(
    ("who", "path"), [("member", "/api/v1/me/claims"), ("staff", "/api/v1/claims/queue")]
)
def test_claim_list_api_statements_do_not_grow_with_the_page(board, submitted, api_as, who, path):
    api = api_as(getattr(board, who))
    api.get(path, query_string={"per_page": 2})
    counts = {}
    for size in (3, 10):
        with counted() as statements:
            answer = api.get(path, query_string={"per_page": size})
        assert answer.status_code == 200 and len(answer.json["items"]) == size
        counts[size] = len(statements)
    assert counts[3] == counts[10], counts


@pytest.mark.parametrize(("who", "path"), [("member", "/my/claims"), ("staff", "/verify")])
def test_claim_list_page_statements_do_not_grow_with_the_page(
    board, submitted, page_as, monkeypatch, who, path
):
    from points.board import pages

    client = page_as(getattr(board, who))
    client.get(path)
    counts = {}
    for size in (3, 10):
        monkeypatch.setattr(pages, "LIST_PER_PAGE", size)
        with counted() as statements:
            assert client.get(path).status_code == 200
        counts[size] = len(statements)
    assert counts[3] == counts[10], counts


def test_a_tasks_claims_page_by_cursor_first_claim_first(board, make_task, make_person, actor_of, api_as):
    earlier = utcnow() - timedelta(hours=3)
    task = make_task(title="清扫楼道", slots=6, starts_at=utcnow() + timedelta(days=1), now=earlier)
    people = [make_person(community=board.community) for _ in range(5)]
    claims = [ops.claim_task(actor=actor_of(p), task_id=task.id, now=earlier) for p in people]
    staff = api_as(board.staff)
    path = f"/api/v1/tasks/{task.id}/claims"
    assert assert_api_walk(staff.get, path) == [c.id for c in claims]
    mine = staff.get("/api/v1/me/claims", query_string={"per_page": 1}).json
    cursor = staff.get(path, query_string={"per_page": 1}).json["next_cursor"]
    answer = staff.get("/api/v1/me/claims", query_string={"cursor": cursor})
    assert answer.status_code == 400 and answer.json["code"] == "invalid_cursor" and mine["items"] == []
