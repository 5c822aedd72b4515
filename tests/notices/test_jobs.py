"""The inbox's jobs: pruning read notices, delivering beyond the app."""

from __future__ import annotations

from datetime import timedelta

from points.db import session, utcnow
from points.notices import operations
from points.notices.jobs import deliver_notices_job, prune_notices_job
from points.notices.queries import notices_stmt


def test_prune_notices_job_deletes_old_read_ones(app, make_person, tell):
    person = make_person()
    now = utcnow()
    tell(person, now=now - timedelta(days=400))
    notice = session().scalars(notices_stmt(person_id=person.id)).one()
    operations.mark_read(person_id=person.id, notice_id=notice.id, now=now - timedelta(days=300))

    assert prune_notices_job(now=now) == "deleted 1 read notices"


def test_deliver_notices_job_without_a_sender_does_nothing(app, make_person, tell):
    tell(make_person())

    assert deliver_notices_job(now=utcnow()) == "no sender configured"


def test_deliver_notices_job_uses_the_configured_sender(app, make_person, tell, caplog):
    tell(make_person(), title="扫雪")
    app.config["NOTICE_SENDER"] = "points.notices.senders:LoggingSender"
    try:
        with caplog.at_level("INFO"):
            assert deliver_notices_job(now=utcnow()) == "delivered 1 notices, 0 failed"
    finally:
        app.config["NOTICE_SENDER"] = ""
    assert "你的揭榜「扫雪」已通过验收" in caplog.text
