"""The board lists what the reader can act on: posted and closed tasks of the communities they
live in or reported to (双报到, themselves or through their units), the running tasks they hold
a claim on, and for staff every task of their communities; a bounded number of statements
whatever the page size."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.board import operations
from points.db import utcnow
from tests.board.conftest import task_body
from tests.ledger.test_statement_counts import counted


def _ids(api, **query) -> list[int]:
    answer = api.get("/api/v1/tasks", query_string={"per_page": 100, **query})
    assert answer.status_code == 200, answer.json
    return [t["id"] for t in answer.json["items"]]


@pytest.fixture
def spread(board, make_task, actor_of):
    """Tasks of every state in the board's community, and a posted one in the other."""
    now = utcnow()
    staff = actor_of(board.staff)
    posted = make_task(title="张榜中", starts_at=now + timedelta(days=2))
    closed = make_task(title="已截止", starts_at=now + timedelta(days=1))
    operations.close_task(actor=staff, task_id=closed.id)
    done = make_task(title="已完成", starts_at=now + timedelta(days=3))
    operations.close_task(actor=staff, task_id=done.id)
    operations.complete_task(actor=staff, task_id=done.id, now=now + timedelta(days=3, hours=3))
    draft = make_task(title="草稿", post=False)
    body = task_body(board.other.id, title="别的社区")
    body.update(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2))
    body["claim_deadline"] = body["starts_at"]
    elsewhere = operations.create_task(actor=actor_of(board.outsider), **body)
    return {"posted": posted, "closed": closed, "done": done, "draft": draft, "elsewhere": elsewhere}


def test_a_resident_sees_posted_then_closed_tasks_of_their_community(board, spread, api_as):
    ids = _ids(api_as(board.resident))
    assert ids == [spread["posted"].id, spread["closed"].id]


def test_a_reported_member_and_a_reported_units_admin_see_both_communities(board, spread, api_as):
    # The member lives in the other community and reported here; so did the admin's unit.
    for person in (board.member, board.unit_admin):
        ids = _ids(api_as(person))
        assert ids == [spread["elsewhere"].id, spread["posted"].id, spread["closed"].id], person.name


def test_someone_of_another_community_does_not_see_this_ones_tasks_unless_they_ask(board, spread, api_as):
    stranger = api_as(board.stranger)
    assert _ids(stranger) == [spread["elsewhere"].id]
    picked = _ids(stranger, community_id=board.community.id)
    assert picked == [spread["posted"].id, spread["closed"].id]


def test_staff_see_every_state_of_their_community(board, spread, api_as):
    ids = _ids(api_as(board.staff))
    assert ids == [t.id for t in (spread["posted"], spread["closed"], spread["done"], spread["draft"])]
    assert _ids(api_as(board.staff), state="done") == [spread["done"].id]
    assert _ids(api_as(board.resident), state="done") == []


def test_a_task_the_reader_claimed_elsewhere_stays_on_their_board(board, spread, api_as, actor_of):
    """The stranger moves here and keeps the claim they took at home."""
    from points.db import session
    from points.people.models import Person

    stranger = api_as(board.stranger)
    assert stranger.post(f"/api/v1/tasks/{spread['elsewhere'].id}/claims", json={}).status_code == 201
    person = session().get(Person, board.stranger.id)
    person.community_id = board.community.id
    session().flush()
    ids = _ids(stranger)
    assert ids == [spread["elsewhere"].id, spread["posted"].id, spread["closed"].id]
    card = stranger.get("/api/v1/tasks", query_string={"per_page": 100}).json["items"][0]
    assert card["card_state"] == "claimed" and card["claimed"] == 1


def test_board_pages_by_cursor_through_ranges_without_gaps(board, spread, api_as, make_task):
    now = utcnow()
    for n in range(5):
        make_task(title=f"任务{n}", starts_at=now + timedelta(days=10 + n))
    staff = api_as(board.staff)
    whole = _ids(staff)
    seen, cursor = [], None
    while True:
        query = {"per_page": 2, **({"cursor": cursor} if cursor else {})}
        answer = staff.get("/api/v1/tasks", query_string=query).json
        seen += [t["id"] for t in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == whole and len(whole) == 9


def test_a_cursor_of_another_list_is_refused(board, spread, api_as):
    resident = api_as(board.resident)
    claims = resident.get("/api/v1/tasks", query_string={"per_page": 1}).json
    answer = resident.get("/api/v1/me/claims", query_string={"cursor": claims["next_cursor"]})
    assert answer.status_code == 400 and answer.json["code"] == "invalid_cursor"


@pytest.fixture
def crowded(board, make_task, api_as):
    now = utcnow()
    tasks = [make_task(title=f"任务{n}", slots=2, starts_at=now + timedelta(hours=n + 1)) for n in range(24)]
    for task in tasks[::3]:
        api_as(board.neighbour).post(f"/api/v1/tasks/{task.id}/claims", json={})
    return tasks


@pytest.mark.parametrize("caller", ["resident", "staff", "unit_admin"])
def test_board_api_statements_do_not_grow_with_the_page(board, crowded, api_as, caller):
    api = api_as(getattr(board, caller))
    api.get("/api/v1/tasks", query_string={"per_page": 2})
    counts = {}
    for size in (4, 20):
        with counted() as statements:
            answer = api.get("/api/v1/tasks", query_string={"per_page": size})
        assert answer.status_code == 200 and len(answer.json["items"]) == size
        counts[size] = len(statements)
    assert counts[4] == counts[20], counts


def test_board_page_statements_do_not_grow_with_the_page(board, crowded, page_as, monkeypatch):
    from points.board import pages

    client = page_as(board.resident)
    client.get("/board")
    counts = {}
    for size in (4, 20):
        monkeypatch.setattr(pages, "BOARD_PER_PAGE", size)
        with counted() as statements:
            answer = client.get("/board")
        assert answer.status_code == 200 and answer.data.count(b"<article") == size
        counts[size] = len(statements)
    assert counts[4] == counts[20], counts
