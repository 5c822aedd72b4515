"""Asking for help for someone else never tells who has an account (no enumeration)."""

from __future__ import annotations

import re


def _answer(client, phone: str) -> tuple[int, str]:
    r = client.post("/help", data={"category": "助老助残", "details": "帮忙买菜", "requester_phone": phone})
    html = r.data.decode()
    # The form's token changes with every page; the rest must be the same.
    return r.status_code, re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_help_for_a_phone_outside_my_grid_reads_like_an_unknown_phone(board, page_as):
    client = page_as(board.grid_worker)

    outside = _answer(client, board.stranger.phone)
    unknown = _answer(client, "13999999999")

    assert outside[0] == unknown[0] == 422
    assert outside[1].replace(board.stranger.phone, "PHONE") == unknown[1].replace("13999999999", "PHONE")
    assert "您负责的范围内没有这个手机号的居民" in unknown[1]


def test_help_for_someone_else_is_refused_to_a_resident_before_any_lookup(board, page_as):
    client = page_as(board.resident)

    known = client.post(
        "/help", data={"category": "助老助残", "details": "x", "requester_phone": board.neighbour.phone}
    )
    unknown = client.post(
        "/help", data={"category": "助老助残", "details": "x", "requester_phone": "13999999999"}
    )

    assert known.status_code == unknown.status_code == 403


def test_help_for_a_resident_of_my_grid_works(board, page_as, fresh):
    client = page_as(board.grid_worker)
    r = client.post(
        "/help", data={"category": "助老助残", "details": "帮忙买菜", "requester_phone": board.resident.phone}
    )
    assert r.status_code == 302


def test_help_form_is_rate_limited_per_person(board, app_with, save):
    save()
    limited = app_with(RATELIMIT_ENABLED=True, HELP_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    assert (
        client.post("/login", data={"phone": board.grid_worker.phone, "password": "password123"}).status_code
        == 302
    )
    codes = [
        client.post(
            "/help", data={"category": "助老助残", "details": "x", "requester_phone": "13999999999"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [422, 422, 429]
