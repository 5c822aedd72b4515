"""Masked phones stay masked: whoever cannot see a full phone finds people by name or by the
whole number, never by a part of it."""

from __future__ import annotations

import pytest


@pytest.fixture
def town(make_node, make_person):
    community = make_node("community")
    return {
        "staff": make_person(community=community, roles=[("staff", community)]),
        "supervisor": make_person(community=community, roles=[("supervisor", community)]),
        "resident": make_person(community=community, name="赵秀英"),
    }


def _found(api, q: str) -> list[int]:
    r = api.get("/api/v1/people", query_string={"q": q})
    assert r.status_code == 200, r.json
    return [p["id"] for p in r.json["items"]]


def test_part_of_a_phone_finds_nobody_for_a_reader_who_sees_it_masked(town, api_as):
    resident = town["resident"]
    api = api_as(town["supervisor"])

    shown = api.get(f"/api/v1/people/{resident.id}").json["phone"]
    assert "****" in shown

    # The digits behind the mask, one guess at a time, find nothing.
    assert _found(api, resident.phone[3:7]) == []
    assert _found(api, resident.phone[:8]) == []
    # The whole number, or the name, finds them.
    assert _found(api, resident.phone) == [resident.id]
    assert _found(api, "秀英") == [resident.id]


def test_part_of_a_phone_still_finds_people_for_those_who_manage_them(town, api_as):
    resident = town["resident"]
    assert _found(api_as(town["staff"]), resident.phone[-6:]) == [resident.id]


def test_the_people_page_follows_the_same_rule(town, page_as):
    resident = town["resident"]
    html = page_as(town["supervisor"]).get(f"/people?q={resident.phone[3:7]}").data.decode()
    assert "赵秀英" not in html
    assert "赵秀英" in page_as(town["supervisor"]).get(f"/people?q={resident.phone}").data.decode()


def test_wildcards_in_a_search_are_taken_literally(town, api_as):
    assert _found(api_as(town["staff"]), "%") == []
    assert _found(api_as(town["staff"]), "_") == []
