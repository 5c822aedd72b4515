"""Service certificates: a PDF with Chinese text whose QR link opens a verification page that
matches the ledger; a tampered token or a later reversal does not verify."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from points.evaluation import certificates
from points.ledger import operations as ledger
from tests.evaluation.conftest import IN_Q3, IN_Q4


@pytest.fixture
def served(town, give):
    kept = give(town.r1, 12)
    later = give(town.r1, 8, now=IN_Q4)
    give(town.r2, 99)
    town.kept, town.later = kept, later
    return town


def _link(pdf: bytes) -> str:
    found = re.search(rb"/URI \((http[^)]+)\)", pdf)
    assert found, "the PDF carries the verification link"
    return found.group(1).decode()


def test_certificate_pdf_links_to_a_page_that_says_it_matches(served, page_as, client):
    r = page_as(served.r1).get("/evaluation/certificate?kind=xingan&first=2026-01-01&last=2026-12-31")

    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    assert b"STSong-Light" in r.data
    url = _link(r.data)
    page = client.get(url[url.index("/certificates/") :])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "与积分台账一致" in html and "张*英" in html and "20" in html


def test_certificate_content_counts_the_span_and_only_the_persons_awards(served):
    whole = certificates.build(served.r1.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    q3 = certificates.build(served.r1.id, "xingan", date(2026, 7, 1), date(2026, 9, 30))

    assert (whole.total, len(whole.rows)) == (20, 2)
    assert (q3.total, [r["day"] for r in q3.rows]) == (12, [IN_Q3.date()])


def test_a_tampered_certificate_does_not_verify(served):
    token = certificates.token_of(
        certificates.build(served.r1.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    )
    payload, signature = token.rsplit(".", 1)
    other = certificates.token_of(
        certificates.build(served.r2.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    )

    assert certificates.verify(token)[0] is True
    assert certificates.verify(other.rsplit(".", 1)[0] + "." + signature) == (False, None)
    assert certificates.verify(payload + "." + signature[::-1]) == (False, None)
    assert certificates.verify("nonsense") == (False, None)


def test_a_reversal_after_issue_makes_the_certificate_stop_matching(served, api_as):
    token = certificates.token_of(
        certificates.build(served.r1.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    )

    request = ledger.reverse_transfer(actor=served.staff_actor, transfer_id=served.later["id"], reason="重复")
    ledger.approve_award(actor=served.staff2_actor, transfer_id=request["id"])

    matches, now_held = certificates.verify(token)
    assert matches is False and now_held.total == 12
    r = api_as(served.r2).get(f"/api/v1/evaluation/certificates/{token}")
    assert r.status_code == 200 and r.json["matches"] is False and r.json["total"] == 12


def test_certificate_api_refuses_a_bad_span(served, api_as):
    r = api_as(served.r1).get(
        "/api/v1/evaluation/me/certificate?kind=xingan&first=2026-12-31&last=2026-01-01"
    )
    ok = api_as(served.r1).get(
        "/api/v1/evaluation/me/certificate?kind=xingan&first=2026-01-01&last=2026-12-31"
    )

    assert r.status_code == 422 and r.json["code"] == "invalid_period"
    assert ok.status_code == 200 and ok.data.startswith(b"%PDF")


def test_certificate_api_refuses_dates_beyond_the_planning_years(served, api_as):
    r = api_as(served.r1).get(
        "/api/v1/evaluation/me/certificate?kind=xingan&first=0001-01-01&last=0001-01-02"
    )

    assert r.status_code == 422 and r.json["code"] == "invalid_period"


def test_certificate_lists_tasks_with_days_and_hours_and_its_page_shows_them(town, serve, page_as, client):
    serve(town.r1, "清扫楼道", hours=2, points=10)
    serve(town.r1, "敬老院探访", hours=1.5, points=6)

    found = certificates.build(town.r1.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    assert [(r["title"], r["hours"], r["amount"], r["day"]) for r in found.rows] == [
        ("清扫楼道", 2.0, 10, IN_Q3.date()),
        ("敬老院探访", 1.5, 6, IN_Q3.date()),
    ]
    assert (found.total, found.hours) == (16, 3.5)
    pdf = page_as(town.r1).get("/evaluation/certificate?kind=xingan&first=2026-01-01&last=2026-12-31").data
    url = _link(pdf)
    html = client.get(url[url.index("/certificates/") :]).get_data(as_text=True)
    assert "与积分台账一致" in html and "清扫楼道" in html and "敬老院探访" in html and "1.5" in html
    assert found.digest in html


def test_a_certificate_whose_service_changed_does_not_verify(town, serve, sess):
    task = serve(town.r1, "清扫楼道", hours=2, points=10)
    token = certificates.token_of(
        certificates.build(town.r1.id, "xingan", date(2026, 1, 1), date(2026, 12, 31))
    )
    assert certificates.verify(token)[0] is True

    # The hours printed no longer match what the board holds.
    task.starts_at = task.starts_at - timedelta(hours=3)
    sess.flush()

    matches, now_held = certificates.verify(token)
    assert matches is False and now_held.hours == 5.0
