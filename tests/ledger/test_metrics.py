"""Postings, approvals and the last verification, as `/metrics` shows them to operators."""

from __future__ import annotations

import time

from points.scheduler import run_job
from tests.ledger.conftest import award_body
from tests.metrics_scrape import sample


def test_postings_and_approvals_are_counted_once_committed(app, world, api_as):
    def counts():
        return (
            sample(app, "points_postings_total", status="pending"),
            sample(app, "points_postings_total", status="post"),
            sample(app, "points_approvals_total", decision="approve"),
            sample(app, "points_approvals_total", decision="reject"),
        )

    before = counts()
    body = award_body(world)
    staff, checker = api_as(world.staff), api_as(world.checker)
    first = staff.post("/api/v1/awards", json=body, headers={"Idempotency-Key": "m1"}).json["id"]
    second = staff.post("/api/v1/awards", json=body, headers={"Idempotency-Key": "m2"}).json["id"]
    # Refused (the maker may not check): nothing is counted.
    assert staff.post(f"/api/v1/awards/{first}/approve", headers={"Idempotency-Key": "m3"}).status_code == 403
    assert (
        checker.post(f"/api/v1/awards/{first}/approve", headers={"Idempotency-Key": "m4"}).status_code == 200
    )
    rejected = checker.post(
        f"/api/v1/awards/{second}/reject", json={"reason": "重复申报"}, headers={"Idempotency-Key": "m5"}
    )
    assert rejected.status_code == 200

    after = counts()
    assert [b - a for a, b in zip(before, after, strict=True)] == [2, 1, 1, 1]


def test_last_verification_result_and_time(app, world):
    assert run_job("verify_ledger").status == "ok"
    assert sample(app, "points_ledger_verify_ok") == 1
    assert abs(sample(app, "points_ledger_verify_timestamp_seconds") - time.time()) < 120
