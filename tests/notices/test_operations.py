"""Reading, marking, delivering and pruning notices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from points.db import session, utcnow
from points.errors import NotFound
from points.notices import operations
from points.notices.models import Notice
from points.notices.queries import notices_stmt, unread_count
from points.notices.senders import LoggingSender, OutgoingNotice, load_class, sender_from


def notices(person):
    return session().scalars(notices_stmt(person_id=person.id)).all()


def test_mark_read_marks_only_that_notice(make_person, tell):
    person = make_person()
    tell(person)
    tell(person)
    first = notices(person)[-1]

    operations.mark_read(person_id=person.id, notice_id=first.id)

    assert unread_count(person.id) == 1
    assert first.read_at is not None


def test_mark_read_of_someone_elses_notice_is_not_found(make_person, tell):
    owner, other = make_person(), make_person()
    tell(owner)

    with pytest.raises(NotFound) as refused:
        operations.mark_read(person_id=other.id, notice_id=notices(owner)[0].id)

    assert refused.value.code == "notice_not_found"


def test_mark_all_read_answers_how_many(make_person, tell):
    person = make_person()
    for _ in range(3):
        tell(person)

    assert operations.mark_all_read(person_id=person.id) == 3
    assert unread_count(person.id) == 0


def test_unread_count_stops_at_the_badge_limit(make_person, tell):
    person = make_person()
    for _ in range(5):
        tell(person)

    assert unread_count(person.id, most=3) == 4


def test_prune_read_notices_keeps_unread_and_recent(make_person, tell):
    person = make_person()
    now = utcnow()
    for _ in range(3):
        tell(person, now=now - timedelta(days=200))
    old_read, recent_read, unread = notices(person)
    operations.mark_read(person_id=person.id, notice_id=old_read.id, now=now - timedelta(days=100))
    operations.mark_read(person_id=person.id, notice_id=recent_read.id, now=now - timedelta(days=10))

    assert operations.prune_read_notices(before=now - timedelta(days=90)) == 1
    assert {n.id for n in notices(person)} == {recent_read.id, unread.id}


class Recorder:
    def __init__(self, fail_on: set[int] = frozenset()):
        self.sent: list[OutgoingNotice] = []
        self.fail_on = fail_on

    def send(self, notice: OutgoingNotice) -> None:
        if notice.notice_id in self.fail_on:
            raise OSError("provider down")
        self.sent.append(notice)


def test_deliver_notices_hands_each_once_in_chinese(make_person, tell):
    person = make_person()
    tell(person, kind="claim_rejected", title="扫雪", reason="没有照片")
    sender = Recorder()

    assert operations.deliver_notices(sender=sender, max_age=timedelta(hours=1)) == (1, 0)
    assert operations.deliver_notices(sender=sender, max_age=timedelta(hours=1)) == (0, 0)
    assert [(n.phone, n.text) for n in sender.sent] == [
        (person.phone, "你的揭榜「扫雪」未通过验收：没有照片")
    ]


def test_deliver_notices_tries_a_failed_one_again(make_person, tell):
    person = make_person()
    tell(person)
    failing = Recorder(fail_on={notices(person)[0].id})

    assert operations.deliver_notices(sender=failing, max_age=timedelta(hours=1)) == (0, 1)
    assert operations.deliver_notices(sender=Recorder(), max_age=timedelta(hours=1)) == (1, 0)


def test_deliver_notices_skips_old_ones(make_person, tell):
    person = make_person()
    tell(person, now=utcnow() - timedelta(days=3))

    assert operations.deliver_notices(sender=Recorder(), max_age=timedelta(hours=24)) == (0, 0)
    assert session().scalars(notices_stmt(person_id=person.id)).one().delivered_at is None


def test_the_sender_is_the_class_the_settings_name(caplog):
    assert load_class("points.notices.senders:LoggingSender") is LoggingSender
    assert sender_from({"NOTICE_SENDER": ""}) is None
    sender = sender_from({"NOTICE_SENDER": "points.notices.senders.LoggingSender"})
    with caplog.at_level("INFO"):
        sender.send(OutgoingNotice(1, 2, "13800000000", "claim_verified", "你好"))
    assert "你好" in caplog.text


def test_notice_rows_keep_their_parameters(make_person, tell):
    person = make_person()
    tell(person, kind="award_approved", amount=5, memo="帮助邻居")

    assert session().get(Notice, notices(person)[0].id).params == {"amount": 5, "memo": "帮助邻居"}
