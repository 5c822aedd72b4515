"""Reading anomaly flags: one flag, the list within the reader's scope (never flags about the
reader), and what a flag's sentence and evidence say."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.audit.hiding import hide_from_subjects
from points.db import session
from points.errors import NotFound
from points.labels import N_
from points.org.queries import community_names, node_ids_in_scope
from points.pagination import Cursor, keyset
from points.people.queries import person_names
from points.supervision.models import Detector, Flag, FlagState

# What each detector's flag says, filled from its `facts` (translated when shown).
SENTENCES: dict[str, str] = {
    Detector.MUTUAL_APPROVALS: N_(
        "两人互相审批或验收对方的积分：%(given)s 次和 %(returned)s 次，占其经手的 %(share)s%%"
    ),
    Detector.CHECKIN_BURST: N_("同一活动 %(seconds)s 秒内集中签到 %(count)s 人次"),
    Detector.OVERLAPPING_STAYS: N_("同一人同时在两个活动中签到（%(count)s 处重叠）"),
    Detector.SHARED_DEVICE: N_("同一台设备为 %(people)s 个人签到"),
    Detector.DISCRETIONARY_CLUSTER: N_(
        "酌情发放的 %(points)s 分集中在一人经手，占本社区同类积分的 %(share)s%%"
    ),
    Detector.PUPPET_ACCOUNTS: N_("%(people)s 个由该工作人员开户、重置密码或解锁的账号在其活动中得分"),
    Detector.MONTHLY_JUMP: N_("本月积分 %(total)s 分，远高于通常的 %(usual)s 分（稳健 z 值 %(z)s）"),
    Detector.FAST_VERIFICATION: N_("任务结束前验收 %(early)s 条，一分钟内无签到验收 %(per_minute)s 条"),
}


def flags_about(person_id: int) -> sa.Select:
    """The ids of the flags about a person (as subject or the other side)."""
    return select(Flag.id).where(
        sa.or_(Flag.subject_person_id == person_id, Flag.related_person_id == person_id)
    )


# A flag is never shown to the people it is about, nor is what was done to it in the audit log.
hide_from_subjects(Flag.__audit_type__, flags_about)


def get_flag(flag_id: int, *, lock: bool = False) -> Flag:
    stmt = select(Flag).where(Flag.id == flag_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    flag = session().exec(stmt).first()
    if flag is None:
        raise NotFound("not_found", "未找到")
    return flag


def flags_stmt(
    actor: Actor,
    *,
    detector: str | None = None,
    community_id: int | None = None,
    state: str | None = None,
) -> sa.Select:
    """Flags within the reader's `flags.read` scope, never those about the reader, newest
    first, filtered by detector, community and state."""
    me = actor.person_id
    stmt = (
        select(Flag)
        .where(
            Flag.community_id.in_(node_ids_in_scope(actor, "flags.read")),
            sa.or_(Flag.subject_person_id.is_(None), Flag.subject_person_id != me),
            sa.or_(Flag.related_person_id.is_(None), Flag.related_person_id != me),
        )
        .order_by(Flag.id.desc())
    )
    if detector is not None:
        stmt = stmt.where(Flag.detector == detector)
    if community_id is not None:
        stmt = stmt.where(Flag.community_id == community_id)
    if state is not None:
        stmt = stmt.where(Flag.state == state)
    return stmt


def flags_page(stmt: sa.Select, *, cursor: Cursor | None, per_page: int) -> dict:
    """A keyset page of `flags_stmt`, newest first."""
    return keyset(stmt, keys=[(Flag.id, True)], cursor=cursor, per_page=per_page)


def open_counts(actor: Actor) -> dict[str, int]:
    """Open flags per detector within the reader's scope (the list's filter shows them)."""
    inner = flags_stmt(actor, state=FlagState.OPEN).subquery()
    rows = session().execute(sa.select(inner.c.detector, sa.func.count()).group_by(inner.c.detector))
    return {detector: count for detector, count in rows}


def flag_communities(actor: Actor) -> list[int]:
    """The communities of the flags the reader sees (the list's community filter)."""
    inner = flags_stmt(actor).order_by(None).subquery()
    return sorted(session().scalars(sa.select(inner.c.community_id).distinct()))


def names_for(flags: list[Flag]) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the people and communities the flags mention."""
    people = {f.subject_person_id for f in flags} | {f.related_person_id for f in flags}
    people |= {f.decided_by_id for f in flags}
    people |= {row.get("person_id") for f in flags for row in f.evidence}
    return person_names({p for p in people if p}), community_names(list({f.community_id for f in flags}))
