"""Reading the inbox: a person's notices, their unread count, one notice of theirs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from points.db import session
from points.errors import NotFound
from points.notices.models import Notice
from points.pagination import Cursor, keyset
from points.people.queries import person_names


def notices_stmt(*, person_id: int, unread_only: bool = False) -> sa.Select:
    stmt = sa.select(Notice).where(Notice.person_id == person_id)
    if unread_only:
        stmt = stmt.where(Notice.read_at.is_(None))
    return stmt.order_by(Notice.created_at.desc(), Notice.id.desc())


def notices_page(*, person_id: int, unread_only: bool = False, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `notices_stmt`, newest first, down the person's (created_at, id) index."""
    return keyset(
        notices_stmt(person_id=person_id, unread_only=unread_only),
        keys=[(Notice.created_at, True), (Notice.id, True)],
        cursor=cursor,
        per_page=per_page,
    )


def unread_count(person_id: int, *, most: int = 99) -> int:
    """How many notices the person has not read, counted up to `most` (the badge shows 99+)."""
    unread = (
        sa.select(Notice.id).where(Notice.person_id == person_id, Notice.read_at.is_(None)).limit(most + 1)
    )
    return session().execute(sa.select(sa.func.count()).select_from(unread.subquery())).scalar_one()


def get_notice(person_id: int, notice_id: int) -> Notice:
    """One notice of the person's; anyone else's answers as missing (`notice_not_found`)."""
    notice = session().get(Notice, notice_id)
    if notice is None or notice.person_id != person_id:
        raise NotFound("notice_not_found", "消息不存在")
    return notice


def undelivered(*, since: datetime, batch: int) -> list[Notice]:
    """Notices not yet handed to the sender, made after `since`, oldest first."""
    return list(
        session()
        .scalars(
            sa.select(Notice)
            .where(Notice.delivered_at.is_(None), Notice.created_at >= since)
            .order_by(Notice.id)
            .limit(batch)
        )
        .all()
    )


def notices_of(person_id: int) -> list[Notice]:
    """Every notice of the person's, oldest first (their data export)."""
    return list(session().scalars(notices_stmt(person_id=person_id).order_by(None).order_by(Notice.id)).all())


def filled_params(notices: list[Notice]) -> list[dict]:
    """Each notice's parameters with `name` read now from the person in `person_id`, so a
    closed account shows as closed rather than by the name it had."""
    names = person_names({n.params["person_id"] for n in notices if n.params.get("person_id")})
    filled = []
    for notice in notices:
        params = dict(notice.params)
        if params.get("person_id"):
            params["name"] = names.get(params["person_id"], "")
        filled.append(params)
    return filled
