"""Scans by outcome, as `/metrics` shows them to operators."""

from __future__ import annotations

from tests.checkin.test_api import token_for
from tests.metrics_scrape import sample


def test_scans_are_counted_by_outcome(app, world, running, api_as):
    before = [sample(app, "points_scans_total", outcome=o) for o in ("checked_in", "already_in")]
    client = api_as(world.resident)
    token = token_for(world, running)
    assert client.post("/api/v1/scan", json={"token": token}).json["outcome"] == "checked_in"
    assert client.post("/api/v1/scan", json={"token": token}).json["outcome"] == "already_in"
    assert client.post("/api/v1/scan", json={"token": "not-a-code"}).status_code >= 400
    after = [sample(app, "points_scans_total", outcome=o) for o in ("checked_in", "already_in")]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1]
