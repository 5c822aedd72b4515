"""Every change to the inbox: writing notices, reading them, delivering and pruning them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from points.db import insert_many, session, utcnow
from points.notices.models import NO_REASON, REASON_NEEDED, Notice, NoticeKind
from points.notices.queries import filled_params, get_notice, undelivered
from points.notices.senders import NoticeSender, OutgoingNotice
from points.people.queries import get_person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewNotice:
    person_id: int
    kind: NoticeKind
    params: dict = field(default_factory=dict)
    ref_type: str = ""
    ref_id: int | None = None


def notify(notices: Iterable[NewNotice], *, now: datetime | None = None) -> int:
    """Write notices in the caller's transaction, in one statement (a bulk approval tells
    hundreds of people at once). Answers how many were written."""
    now = now or utcnow()
    rows = [
        {
            "person_id": n.person_id,
            "kind": n.kind.value,
            "params": {k: v for k, v in n.params.items() if v is not None},
            "ref_type": n.ref_type,
            "ref_id": n.ref_id,
            "created_at": now,
        }
        for n in notices
    ]
    insert_many(Notice.__table__, rows)
    return len(rows)


def mark_read(*, person_id: int, notice_id: int, now: datetime | None = None) -> Notice:
    """Mark one of the person's notices read (again: no change). Raises `notice_not_found`."""
    notice = get_notice(person_id, notice_id)
    if notice.read_at is None:
        notice.read_at = now or utcnow()
        session().flush()
    return notice


def mark_all_read(*, person_id: int, now: datetime | None = None) -> int:
    """Mark every unread notice of the person's read; answers how many."""
    return (
        session()
        .execute(
            sa.update(Notice)
            .where(Notice.person_id == person_id, Notice.read_at.is_(None))
            .values(read_at=now or utcnow())
        )
        .rowcount
    )


def mark_ref_read(*, kind: NoticeKind, ref_type: str, ref_id: int, now: datetime | None = None) -> int:
    """Mark read every unread notice of `kind` about one thing (say, an offer once answered);
    answers how many."""
    return (
        session()
        .execute(
            sa.update(Notice)
            .where(
                Notice.kind == kind,
                Notice.ref_type == ref_type,
                Notice.ref_id == ref_id,
                Notice.read_at.is_(None),
            )
            .values(read_at=now or utcnow())
        )
        .rowcount
    )


def prune_read_notices(*, before: datetime) -> int:
    """Delete notices read before `before`; unread ones stay however old."""
    return session().execute(sa.delete(Notice).where(Notice.read_at < before)).rowcount


def message_of(notice: Notice) -> str:
    """The notice's text in Chinese, the source language (for senders beyond the app)."""
    params = filled_params([notice])[0]
    if notice.kind in REASON_NEEDED and not params.get("reason"):
        params["reason"] = NO_REASON
    return _fill(NoticeKind(notice.kind).title, params)


def _fill(template: str, params: dict) -> str:
    try:
        return template % {**params}
    except (KeyError, TypeError, ValueError):
        return template


def deliver_notices(
    *, sender: NoticeSender, now: datetime | None = None, max_age: timedelta, batch: int = 200
) -> tuple[int, int]:
    """Hand notices made within `max_age` and not delivered yet to `sender`, oldest first.

    A notice the sender fails on stays undelivered and is tried again on the next run. Answers
    (delivered, failed)."""
    now = now or utcnow()
    delivered = failed = 0
    for notice in undelivered(since=now - max_age, batch=batch):
        person = get_person(notice.person_id)
        outgoing = OutgoingNotice(notice.id, person.id, person.phone, notice.kind, message_of(notice))
        try:
            sender.send(outgoing)
        except Exception:
            log.exception("sending notice %s failed", notice.id)
            failed += 1
            continue
        notice.delivered_at = now
        delivered += 1
    session().flush()
    return delivered, failed
