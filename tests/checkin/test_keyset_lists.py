"""Check-ins page by cursor, newest first (ties by id): an activity's list and a person's
history, through the API and the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.checkin.models import CheckIn
from points.db import session
from tests.checkin.conftest import at
from tests.keyset_walk import assert_api_walk, page_walk


@pytest.fixture
def history(world, make_activity, make_person, save):
    """Seven people at one activity (three of them in the same second) and the resident at
    four activities, each check-in closed half an hour later."""
    activities = [
        make_activity(title=f"值班{n}", starts_at=at(n * 300), ends_at=at(n * 300 + 240)) for n in range(4)
    ]
    people = [make_person(community=world.community, name=f"签到人{n}") for n in range(7)]
    rows = [
        CheckIn(activity_id=activities[0].id, person_id=p.id, checked_in_at=at(min(n, 3)))
        for n, p in enumerate(people)
    ]
    rows += [
        CheckIn(activity_id=a.id, person_id=world.resident.id, checked_in_at=at(n * 300 + 10))
        for n, a in enumerate(activities)
    ]
    for row in rows:
        row.checked_out_at = row.checked_in_at + timedelta(minutes=30)
        session().add(row)
    session().flush()
    save()
    newest_first = sorted(rows, key=lambda r: (r.checked_in_at, r.id), reverse=True)
    return activities, people, newest_first


def _ids(rows, **match) -> list[int]:
    return [r.id for r in rows if all(getattr(r, k) == v for k, v in match.items())]


def test_an_activitys_checkins_page_by_cursor(world, history, api_as):
    activities, _, rows = history
    path = f"/api/v1/activities/{activities[0].id}/checkins"
    assert assert_api_walk(api_as(world.staff).get, path) == _ids(rows, activity_id=activities[0].id)


def test_a_persons_checkins_page_by_cursor(world, history, api_as):
    _, _, rows = history
    mine = _ids(rows, person_id=world.resident.id)
    assert assert_api_walk(api_as(world.resident).get, "/api/v1/me/checkins") == mine
    assert assert_api_walk(api_as(world.staff).get, f"/api/v1/people/{world.resident.id}/checkins") == mine


@pytest.mark.parametrize("cookies", [{}, {"lang": "en"}, {"large_text": "1"}], ids=["zh", "en", "large"])
def test_the_pages_walk_checkins_by_their_links(world, history, page_as, monkeypatch, cookies):
    from points.checkin.pages import desk, scan

    monkeypatch.setattr(desk, "PER_PAGE", 2)
    monkeypatch.setattr(scan, "PER_PAGE", 2)
    activities, people, rows = history
    names = {p.id: p.name for p in (*people, world.resident)}
    staff, resident = page_as(world.staff), page_as(world.resident)
    for client in (staff, resident):
        for name, value in cookies.items():
            client.set_cookie(name, value)
    at_desk = page_walk(staff, f"/checkin/activities/{activities[0].id}", r"<td[^>]*>(签到人\d|赵秀英)</td>")
    assert at_desk == [names[r.person_id] for r in rows if r.activity_id == activities[0].id]
    mine = [str(i) for i in _ids(rows, person_id=world.resident.id)]
    assert page_walk(resident, "/checkins", r'href="/checkins/(\d+)"') == mine
    assert page_walk(staff, f"/people/{world.resident.id}/checkins", r'href="/checkins/(\d+)"') == mine
