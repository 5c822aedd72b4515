"""Every change evaluation makes: opening a period for notice (公示), objections and their
answers, freezing a period into its snapshot, exemptions (免评) and deductions with appeals.

Operations flush, never commit. Points move only through the ledger's own operations (a
correction is a pending award or reversal request that a second person approves there).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from points.access import Actor
from points.audit.operations import audit, record
from points.db import LOCAL_TZ, flush_or_conflict, session, utcnow
from points.errors import Conflict, DomainError, NotFound
from points.evaluation.models import (
    Deduction,
    Exemption,
    Objection,
    Period,
    PeriodState,
    Snapshot,
    UnitReport,
    YearRating,
)
from points.evaluation.queries import (
    community_path,
    corrections_of,
    get_deduction,
    get_objection,
    get_period,
    member_book_stmt,
    period_span,
    person_ranking_stmt,
    ranking_rows,
    spendable_people_stmt,
    with_ratings,
)
from points.evaluation.report_queries import (
    all_units_service_stmt,
    prepared_unit_ids,
    reporting_unit_ids,
    services_behind,
)
from points.evaluation.transitions import TRANSITIONS, refusal
from points.labels import N_
from points.ledger.operations import create_manual_award, reverse_transfer
from points.ledger.queries import award_states
from points.ledger.spending import expire_points
from points.pagination import stream
from points.people.queries import belongs_to_community, get_person
from points.signals import objection_answered

_TEXT_LIMIT = 1000


def _text(value: str, field: str, *, required: bool = True, limit: int = _TEXT_LIMIT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError("text_required", "请填写内容", 422, errors={field: ["必填"]})
    if len(value) > limit:
        raise DomainError("text_too_long", "内容过长", 422, errors={field: ["过长"]})
    return value


def _check(actor: Actor, thing, action: str, now: datetime | None = None) -> None:
    found = refusal(actor, thing, action, now=now)
    if found is not None:
        raise found


# --- periods ------------------------------------------------------------------------------


def open_notice(
    *,
    actor: Actor,
    community_id: int,
    kind: str,
    period_type: str,
    key: str,
    until: str | None = None,
    notice_days: int | None = None,
    now: datetime | None = None,
) -> Period:
    """Publish a community's scores of a finished period for notice (公示) for `notice_days`
    (default EVALUATION_NOTICE_DAYS). Needs `evaluation.manage` over the community. Raises
    `invalid_period`, `invalid_kind`, `period_not_over`, `duplicate` (opened before)."""
    now = now or utcnow()
    actor.require("evaluation.manage", community_path(community_id))
    if kind not in ("hongsong", "xingan"):
        raise DomainError("invalid_kind", "积分类型不对", 422, errors={"kind": ["无效"]})
    start, end, label = period_span(period_type, key, until)
    if end > now:
        raise Conflict("period_not_over", "时段尚未结束，不能公示")
    days = current_app.config.get("EVALUATION_NOTICE_DAYS", 7) if notice_days is None else notice_days
    if not 1 <= days <= 60:
        raise DomainError(
            "invalid_notice_days", "公示天数应在 1 到 60 天之间", 422, errors={"notice_days": ["无效"]}
        )
    period = Period(
        community_id=community_id,
        kind=kind,
        period_type=period_type,
        label=label,
        starts_at=start,
        ends_at=end,
        notice_ends_at=now + timedelta(days=days),
        opened_by_id=actor.person_id,
        created_at=now,
    )
    flush_or_conflict(N_("该时段已公示过"), add=period)
    audit(
        actor,
        "evaluation.notice_opened",
        period,
        detail={"label": label, "kind": kind, "days": days},
        now=now,
    )
    return period


def freeze_period(*, actor: Actor, period_id: int, now: datetime | None = None) -> Period:
    """Freeze a period after its notice, every objection answered: a snapshot of each person's
    score, rank and stars that later corrections never change (they count in the period they
    post in). Corrections of upheld objections that posted by now count here. Raises
    `already_frozen`, `notice_running`, `objections_open`, `not_found`, `forbidden`."""
    now = now or utcnow()
    period = get_period(period_id, lock=True)
    _check(actor, period, "freeze", now)
    _count_corrections(period)
    path = community_path(period.community_id)
    stmt = person_ranking_stmt(
        kind=period.kind, start=period.starts_at, end=period.ends_at, node_path=path, period_id=period.id
    )
    rows = ranking_rows(stmt, limit=1_000_000)
    if period.kind == "hongsong" and period.period_type == "year":
        with_ratings(rows, year=period.starts_at.astimezone(LOCAL_TZ).year, community_path=path)
    if rows:
        session().execute(
            sa.insert(Snapshot),
            [
                {
                    "period_id": period.id,
                    "person_id": r["person_id"],
                    "points": r["points"],
                    "rank": r["rank"],
                    "stars": r.get("stars"),
                    "score": r.get("score"),
                }
                for r in rows
            ],
        )
    period.state, period.frozen_at, period.frozen_by_id = PeriodState.FROZEN.value, now, actor.person_id
    audit(actor, "evaluation.period_frozen", period, detail={"people": len(rows)}, now=now)
    return period


def _count_corrections(period: Period) -> None:
    """Mark the upheld objections whose correction posted: they count in this period."""
    ids = list(session().execute(corrections_of(period.id)).scalars())
    states = award_states(ids)
    posted = [i for i, s in states.items() if s["state"] == "posted"]
    if posted:
        session().execute(
            sa.update(Objection)
            .where(Objection.period_id == period.id, Objection.correction_transfer_id.in_(posted))
            .values(counted_in_period=True)
        )


# --- objections ---------------------------------------------------------------------------


def file_objection(
    *,
    actor: Actor,
    period_id: int,
    subject_id: int,
    text: str,
    evidence: str = "",
    now: datetime | None = None,
) -> Objection:
    """A resident or member of the community objects to a listed score while the period is in
    notice. Raises `not_in_notice`, `not_in_community`, `text_required`, `not_found`."""
    now = now or utcnow()
    period = get_period(period_id)
    if period.state != "notice" or now >= period.notice_ends_at:
        raise Conflict("not_in_notice", "该时段不在公示期内，不能提出异议")
    if not belongs_to_community(get_person(actor.person_id), period.community_id):
        raise DomainError("not_in_community", "只有本社区居民和党员可以提出异议", 403)
    subject = get_person(subject_id)
    if not belongs_to_community(subject, period.community_id):
        raise NotFound("not_found", "未找到")
    objection = Objection(
        period_id=period.id,
        community_id=period.community_id,
        subject_id=subject.id,
        filed_by_id=actor.person_id,
        text=_text(text, "text"),
        evidence=_text(evidence, "evidence", required=False, limit=500),
        created_at=now,
    )
    session().add(objection)
    audit(actor, "evaluation.objection_filed", objection, detail={"period_id": period.id}, now=now)
    return objection


def answer_objection(
    *,
    actor: Actor,
    objection_id: int,
    decision: str,
    answer: str,
    award_amount: int | None = None,
    reverse_transfer_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> Objection:
    """Answer an objection on record: `reject` with the reason, or `uphold`, optionally with a
    correction asked of the ledger (an award of `award_amount`, or the reversal of a transfer),
    which a second staff member approves there. Raises `already_answered`, `not_independent`,
    `text_required`, and what the ledger's request raises."""
    now = now or utcnow()
    objection = get_objection(objection_id, lock=True)
    if decision not in ("uphold", "reject"):
        raise DomainError("invalid_decision", "请选择异议成立或不成立", 422, errors={"decision": ["无效"]})
    _check(actor, objection, decision)
    answer = _text(answer, "answer")
    if decision == "uphold":
        objection.correction_transfer_id = _correction(
            actor, objection, answer, award_amount, reverse_transfer_id, idempotency_key, now
        )
    objection.state = TRANSITIONS[("objection", decision)].target
    objection.answer, objection.answered_by_id, objection.answered_at = answer, actor.person_id, now
    detail = {"decision": decision, "correction_transfer_id": objection.correction_transfer_id}
    audit(actor, "evaluation.objection_answered", objection, detail=detail, now=now)
    objection_answered.send(
        None,
        objection_id=objection.id,
        period_id=objection.period_id,
        person_id=objection.filed_by_id,
        period=get_period(objection.period_id).label,
        upheld=decision == "uphold",
        reason=answer,
        now=now,
    )
    return objection


def _correction(
    actor: Actor,
    objection: Objection,
    answer: str,
    amount: int | None,
    transfer_id: int | None,
    key: str | None,
    now: datetime,
) -> int | None:
    if amount is not None and transfer_id is not None:
        raise DomainError("one_correction", "更正只能是补发或冲正其中之一", 422)
    period = get_period(objection.period_id)
    if amount is not None:
        row = create_manual_award(
            actor=actor,
            community_id=objection.community_id,
            recipient_type="person",
            recipient_id=objection.subject_id,
            kind=period.kind,
            amount=amount,
            memo=answer,
            evidence=f"objection:{objection.id}",
            idempotency_key=key or f"objection:{objection.id}:award",
            now=now,
        )
        return row["id"]
    if transfer_id is not None:
        return reverse_transfer(actor=actor, transfer_id=transfer_id, reason=answer, now=now)["id"]
    return None


# --- exemptions and deductions --------------------------------------------------------------


def exempt_member(
    *, actor: Actor, person_id: int, year: int, reason: str, now: datetime | None = None
) -> Exemption:
    """Exempt a member from the year's rating (免评), with the reason on record. Raises
    `text_required`, `duplicate`, `not_found`, `forbidden`."""
    person = get_person(person_id)
    if person.community_id is None:
        raise NotFound("not_found", "未找到")
    actor.require("evaluation.manage", community_path(person.community_id))
    exemption = Exemption(
        person_id=person.id,
        community_id=person.community_id,
        year=year,
        reason=_text(reason, "reason", limit=500),
        created_by_id=actor.person_id,
        created_at=now or utcnow(),
    )
    flush_or_conflict(N_("该党员本年度已免评"), add=exemption)
    audit(actor, "evaluation.exempted", exemption, detail={"year": year, "person_id": person.id}, now=now)
    return exemption


def request_deduction(
    *,
    actor: Actor,
    person_id: int,
    year: int,
    points: int,
    reason: str,
    evidence: str,
    now: datetime | None = None,
) -> Deduction:
    """Ask for a deduction from a member's 100-point score, with the reason and the evidence;
    another staff member approves it. Raises `invalid_points`, `text_required`, `self_deduction`."""
    now = now or utcnow()
    person = get_person(person_id)
    if person.community_id is None:
        raise NotFound("not_found", "未找到")
    actor.require("evaluation.manage", community_path(person.community_id))
    if actor.person_id == person.id:
        raise DomainError("self_deduction", "不能给自己扣分", 403)
    if not 1 <= points <= 40:
        raise DomainError("invalid_points", "扣分应在 1 到 40 分之间", 422, errors={"points": ["无效"]})
    deduction = Deduction(
        person_id=person.id,
        community_id=person.community_id,
        year=year,
        points=points,
        reason=_text(reason, "reason", limit=500),
        evidence=_text(evidence, "evidence", limit=500),
        requested_by_id=actor.person_id,
        created_at=now,
        updated_at=now,
    )
    session().add(deduction)
    audit(actor, "evaluation.deduction_requested", deduction, detail={"points": points}, now=now)
    return deduction


def act_on_deduction(
    *, actor: Actor, deduction_id: int, action: str, text: str = "", now: datetime | None = None
) -> Deduction:
    """Move a deduction by its transition table: approve or reject (a second staff member),
    appeal (the member, with the grounds), uphold_appeal or dismiss_appeal (staff other than the
    requester and approver, with the answer). Raises `not_allowed_now`, `maker_checker`,
    `text_required`, `not_found`, `forbidden`."""
    now = now or utcnow()
    deduction = get_deduction(deduction_id, lock=True)
    if ("deduction", action) not in TRANSITIONS:
        raise DomainError("invalid_action", "无效操作", 422)
    _check(actor, deduction, action)
    if action in ("approve", "reject"):
        deduction.decided_by_id = actor.person_id
    elif action == "appeal":
        deduction.appeal_text = _text(text, "text")
    else:
        deduction.appeal_answer = _text(text, "text")
        deduction.appeal_answered_by_id = actor.person_id
    deduction.state = TRANSITIONS[("deduction", action)].target
    deduction.updated_at = now
    audit(actor, f"evaluation.deduction_{action}", deduction, detail={"points": deduction.points}, now=now)
    return deduction


# --- the annual settlement ----------------------------------------------------------------


def settle_year(*, year: int, now: datetime | None = None) -> dict[str, int]:
    """Record every party member's rating for the year (stars by their district's scheme,
    免评 for the exempt), then expire the unspent points of the kinds in
    EVALUATION_EXPIRING_KINDS through the ledger's bulk expiry, EVALUATION_SETTLEMENT_BATCH
    accounts per batch. Run once per year by the `annual_settlement` job (its job_runs row)."""
    now = now or utcnow()
    start, end, _ = period_span("year", str(year))
    batch = max(1, int(current_app.config.get("EVALUATION_SETTLEMENT_BATCH", 500)))
    rated = 0
    for rows in _batches(stream(member_book_stmt(start=start, end=end)), batch):
        with_ratings(rows, year=year, community_path=None)
        session().execute(
            sa.insert(YearRating),
            [
                {
                    "person_id": r["person_id"],
                    "year": year,
                    "community_id": r["community_id"],
                    "points": r["points"],
                    "stars": r["stars"],
                    "score": r["score"],
                    "scheme": r["scheme"],
                    "settled_at": now,
                }
                for r in rows
            ],
        )
        rated += len(rows)
    expired = 0
    for kind in _expiring_kinds():
        # Plain tuples, read whole before writing: a mapping per row cost as much as hashing it.
        spendable = session().execute(spendable_people_stmt(kind)).all()
        expiries = [
            (community_id, "person", owner_id, available) for owner_id, available, community_id in spendable
        ]
        for i in range(0, len(expiries), batch):
            expired += expire_points(kind=kind, expiries=expiries[i : i + batch], year=year, now=now)
    record(
        actor_id=None,
        action="evaluation.year_settled",
        target_type="year",
        target_id=year,
        detail={"rated": rated, "expired": expired},
        now=now,
    )
    return {"rated": rated, "expired": expired}


def _expiring_kinds() -> list[str]:
    kinds = str(current_app.config.get("EVALUATION_EXPIRING_KINDS", "")).split(",")
    return [k.strip() for k in kinds if k.strip() in ("hongsong", "xingan")]


def _batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    """Rows in lists of `size`; the whole stream is read before writing starts, so the reading
    cursor is never interleaved with the writes (SQLite and psycopg both dislike that)."""
    everything = list(rows)
    for i in range(0, len(everything), size):
        yield everything[i : i + size]


# --- 双报告: the monthly reports of units ------------------------------------------------------


def prepare_unit_reports(*, month: str, now: datetime | None = None) -> dict:
    """Prepare the month's report of every unit whose people (or itself) earned points in it,
    and of every unit reporting to a community (an empty report says so): the lines (who, what,
    when, hours, points) kept as they are now. Units already prepared for the month are left
    as they were, so a second run changes nothing. Raises `invalid_period`."""
    now = now or utcnow()
    start, end, label = period_span("month", month)
    done = prepared_unit_ids(label)
    lines_of: dict[int, list[dict]] = {}
    rows = [dict(r) for r in session().execute(all_units_service_stmt(start=start, end=end)).mappings()]
    behind = services_behind(rows)
    for row in rows:
        service = behind.get((row["ref_type"], row["ref_id"]))
        lines_of.setdefault(row["unit_id"], []).append(
            {
                "transfer_id": row["transfer_id"],
                "created_at": row["created_at"].isoformat(),
                "person_id": row["person_id"],
                "name": row["name"],
                "kind": row["kind"],
                "reason": row["reason"],
                "memo": row["memo"],
                "title": service["title"] if service else "",
                "hours": service["hours"] if service else 0,
                "points": int(row["points"]),
            }
        )
    prepared = 0
    for unit_id in sorted((set(lines_of) | set(reporting_unit_ids())) - done):
        lines = lines_of.get(unit_id, [])
        session().add(
            UnitReport(
                unit_id=unit_id,
                month=label,
                people=len({line["person_id"] for line in lines if line["person_id"] is not None}),
                hongsong=sum(line["points"] for line in lines if line["kind"] == "hongsong"),
                xingan=sum(line["points"] for line in lines if line["kind"] == "xingan"),
                hours=round(sum(line["hours"] for line in lines if line["points"] > 0), 1),
                lines=lines,
                prepared_at=now,
            )
        )
        prepared += 1
    session().flush()
    return {"month": label, "prepared": prepared, "already": len(done)}
