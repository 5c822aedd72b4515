"""Reading rankings, periods, objections, exemptions and deductions.

Rankings are one grouped statement over the ledger's earnings (`ledger.queries.earnings_stmt`),
ranked by the database (RANK: equal scores share a rank, the next rank skips), never a loop
over people.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import select

from points.access import Actor
from points.db import LOCAL_TZ, get_row, session
from points.errors import DomainError, NotFound
from points.evaluation.models import (
    COUNTED_DEDUCTIONS,
    Deduction,
    Exemption,
    Objection,
    Period,
    PeriodType,
    Snapshot,
)
from points.evaluation.stars import rate, scheme_for
from points.ledger.queries import award_moves_stmt, earnings_stmt, monthly_earnings_stmt, spendable_stmt
from points.org.models import OrgNode, Unit
from points.org.queries import community_names, find_node
from points.people.models import Person, Registration

_people = Person.__table__
_nodes = OrgNode.__table__
_units = Unit.__table__
_objections = Objection.__table__
_periods = Period.__table__


def _local(day: date) -> datetime:
    # The years a community plans with (as `points.validation.When`); beyond them a date is a typo.
    if not 2000 <= day.year <= 2101:
        raise ValueError(day)
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)


def _invalid_period() -> DomainError:
    return DomainError("invalid_period", "时段格式不对：月度如 2026-07，季度如 2026-Q3，年度如 2026", 422)


def period_span(period_type: str, key: str, until: str | None = None) -> tuple[datetime, datetime, str]:
    """The [start, end) of a period in Asia/Shanghai days, and its label.

    month "2026-07", quarter "2026-Q3", year "2026", custom "2026-03-01" `until` "2026-03-31"
    (both days included). Raises `invalid_period`."""
    try:
        if period_type == PeriodType.YEAR:
            year = int(key)
            return _local(date(year, 1, 1)), _local(date(year + 1, 1, 1)), f"{year:04d}"
        if period_type == PeriodType.QUARTER:
            year, quarter = key.split("-Q")
            year, quarter = int(year), int(quarter)
            if not 1 <= quarter <= 4:
                raise ValueError(key)
            first = date(year, 3 * quarter - 2, 1)
            after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return _local(first), _local(after), f"{year:04d}-Q{quarter}"
        if period_type == PeriodType.MONTH:
            first = date.fromisoformat(f"{key}-01")
            after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return _local(first), _local(after), first.strftime("%Y-%m")
        if period_type == PeriodType.CUSTOM and until:
            first, last = date.fromisoformat(key), date.fromisoformat(until)
            if last < first or (last - first).days > 366:
                raise ValueError(key)
            return _local(first), _local(date.fromordinal(last.toordinal() + 1)), f"{first}~{last}"
    except (ValueError, TypeError, OverflowError):
        pass
    raise _invalid_period()


def mask_name(name: str) -> str:
    """张*英, 张*, 欧阳*锋: the first and last characters only, as public lists show names."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- rankings -----------------------------------------------------------------------------


def counted_elsewhere() -> list[int] | None:
    """Corrections counted in the frozen period their objection was about (None when there are
    none, as mostly: then the period's rows need no check against them). Read first, a handful of
    ids, rather than checked as a subquery against each of a year's rows."""
    ids = session().scalars(
        sa.select(_objections.c.correction_transfer_id).where(
            _objections.c.counted_in_period.is_(True), _objections.c.correction_transfer_id.is_not(None)
        )
    )
    return list(ids) or None


def corrections_of(period_id: int) -> sa.Select:
    """Corrections asked for by the period's upheld objections: they count in that period."""
    return sa.select(_objections.c.correction_transfer_id).where(
        _objections.c.period_id == period_id,
        _objections.c.state == "upheld",
        _objections.c.correction_transfer_id.is_not(None),
    )


def person_ranking_stmt(
    *,
    kind: str,
    start: datetime,
    end: datetime,
    node_path: str | None = None,
    unit_id: int | None = None,
    period_id: int | None = None,
) -> sa.Select:
    """People ranked by points earned in [start, end): within the node's subtree (by where
    they live) and/or of a work unit; columns person_id, name, node_id, node_name, points, rank."""
    earned = earnings_stmt(
        kind=kind,
        owner_type="person",
        start=start,
        end=end,
        moved_in=corrections_of(period_id) if period_id else None,
        moved_out=counted_elsewhere(),
    )
    # Materialised before people are joined: inlined, PostgreSQL misjudged how many people
    # match their home node and fetched each one's account by index, 100k lookups in a loop.
    earned = earned.cte("earned").prefix_with("MATERIALIZED", dialect="postgresql")
    home_id = sa.func.coalesce(_people.c.grid_id, _people.c.community_id)
    query = (
        sa.select(
            _people.c.id.label("person_id"),
            _people.c.name,
            _nodes.c.id.label("node_id"),
            _nodes.c.name.label("node_name"),
            earned.c.points,
            sa.func.rank().over(order_by=earned.c.points.desc()).label("rank"),
        )
        .join(_people, _people.c.id == earned.c.owner_id)
        .join(_nodes, _nodes.c.id == home_id)
        .where(earned.c.points > 0)
        .order_by(earned.c.points.desc(), _people.c.id)
    )
    if node_path is not None:
        query = query.where(_nodes.c.path.startswith(node_path, autoescape=True))
    if unit_id is not None:
        query = query.where(_people.c.work_unit_id == unit_id)
    return query


def unit_ranking_stmt(
    *, kind: str, start: datetime, end: datetime, node_path: str | None = None
) -> sa.Select:
    """Party organisations ranked by their own claims' points plus their members' approved
    service in [start, end); within a node, the units confirmed as reporting to its
    communities. Columns unit_id, name, own_points, member_points, points, rank."""
    moved_out = counted_elsewhere()
    own = earnings_stmt(kind=kind, owner_type="unit", start=start, end=end, moved_out=moved_out).subquery()
    members = earnings_stmt(
        kind=kind, owner_type="person", start=start, end=end, moved_out=moved_out
    ).subquery()
    parts = sa.union_all(
        sa.select(own.c.owner_id.label("unit_id"), own.c.points.label("own"), sa.literal(0).label("theirs")),
        sa.select(_people.c.work_unit_id, sa.literal(0), members.c.points)
        .join(_people, _people.c.id == members.c.owner_id)
        .where(_people.c.work_unit_id.is_not(None), _people.c.is_party_member.is_(True)),
    ).subquery("parts")
    totals = (
        sa.select(
            parts.c.unit_id,
            sa.func.sum(parts.c.own).label("own_points"),
            sa.func.sum(parts.c.theirs).label("member_points"),
            sa.func.sum(parts.c.own + parts.c.theirs).label("points"),
        )
        .group_by(parts.c.unit_id)
        .subquery("totals")
    )
    query = (
        sa.select(
            _units.c.id.label("unit_id"),
            _units.c.name,
            totals.c.own_points,
            totals.c.member_points,
            totals.c.points,
            sa.func.rank().over(order_by=totals.c.points.desc()).label("rank"),
        )
        .join(_units, _units.c.id == totals.c.unit_id)
        .where(totals.c.points > 0)
        .order_by(totals.c.points.desc(), _units.c.id)
    )
    if node_path is not None:
        regs = Registration.__table__
        reporting = (
            sa.select(regs.c.unit_id)
            .join(_nodes, _nodes.c.id == regs.c.community_id)
            .where(
                regs.c.kind == "unit",
                regs.c.status == "confirmed",
                _nodes.c.path.startswith(node_path, autoescape=True),
            )
        )
        query = query.where(_units.c.id.in_(reporting))
    return query


def member_book_stmt(*, start: datetime, end: datetime, node_path: str | None = None) -> sa.Select:
    """Every party member (within the node's subtree), with their 红松分 in [start, end), zero
    included: the 台账 and the annual settlement. Columns person_id, name, community_id,
    node_name, node_path, unit_name, points."""
    earned = earnings_stmt(
        kind="hongsong", owner_type="person", start=start, end=end, moved_out=counted_elsewhere()
    ).subquery("earned")
    home_id = sa.func.coalesce(_people.c.grid_id, _people.c.community_id)
    query = (
        sa.select(
            _people.c.id.label("person_id"),
            _people.c.name,
            _people.c.community_id,
            _nodes.c.name.label("node_name"),
            _nodes.c.path.label("node_path"),
            _units.c.name.label("unit_name"),
            sa.func.coalesce(earned.c.points, 0).label("points"),
        )
        .join(_nodes, _nodes.c.id == home_id)
        .outerjoin(earned, earned.c.owner_id == _people.c.id)
        .outerjoin(_units, _units.c.id == _people.c.work_unit_id)
        .where(_people.c.is_party_member.is_(True))
        .order_by(_people.c.id)
    )
    if node_path is not None:
        query = query.where(_nodes.c.path.startswith(node_path, autoescape=True))
    return query


def issued_by_month_stmt(*, bounds: list[datetime], node_path: str) -> sa.Select:
    """Points awarded (less reversals) per month and kind in the communities under a node, to
    people and units: columns month, kind, points."""
    return monthly_earnings_stmt(bounds=bounds, node_path=node_path)


def participation_stmt(*, bounds: list[datetime], node_path: str) -> sa.Select:
    """How many people earned points per month in the communities under a node, party members
    and residents apart (one person once a month, whatever the kind): columns month,
    is_party_member, people."""
    earned = monthly_earnings_stmt(
        bounds=bounds, owner_type="person", node_path=node_path, by_owner=True
    ).subquery("earned")
    return (
        sa.select(
            earned.c.month,
            _people.c.is_party_member,
            sa.func.count(sa.distinct(earned.c.owner_id)).label("people"),
        )
        .join(_people, _people.c.id == earned.c.owner_id)
        .where(earned.c.points > 0)
        .group_by(earned.c.month, _people.c.is_party_member)
    )


def spendable_people_stmt(kind: str) -> sa.Select:
    """People with unspent points of `kind`, with the community whose pool takes them back at
    expiry. Columns owner_id, available, community_id."""
    spendable = spendable_stmt(kind=kind, owner_type="person").subquery("spendable")
    return (
        sa.select(spendable.c.owner_id, spendable.c.available, _people.c.community_id)
        .join(_people, _people.c.id == spendable.c.owner_id)
        .where(_people.c.community_id.is_not(None))
        .order_by(spendable.c.owner_id)
    )


def ranking_rows(stmt: sa.Select, *, limit: int = 100, offset: int = 0) -> list[dict]:
    """Rows `offset` to `offset + limit` of a ranking. A ranking is a sum per person over the
    period, ordered by that sum: the database sums every row of the period whichever page is
    asked, so skipping the first rows of the sorted sums costs next to nothing beside it, and
    the page number gives each row its place (名次) without counting those above it."""
    return [dict(r) for r in session().execute(stmt.limit(limit).offset(offset)).mappings()]


# --- ratings ------------------------------------------------------------------------------


def exemptions_of(person_ids: list[int], year: int) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = session().execute(
        sa.select(Exemption.person_id, Exemption.reason).where(
            Exemption.year == year, Exemption.person_id.in_(person_ids)
        )
    )
    return {person_id: reason for person_id, reason in rows}


def deducted_of(person_ids: list[int], year: int) -> dict[int, int]:
    if not person_ids:
        return {}
    rows = session().execute(
        sa.select(Deduction.person_id, sa.func.sum(Deduction.points))
        .where(
            Deduction.year == year,
            Deduction.state.in_(COUNTED_DEDUCTIONS),
            Deduction.person_id.in_(person_ids),
        )
        .group_by(Deduction.person_id)
    )
    return {person_id: int(total) for person_id, total in rows}


def with_ratings(rows: list[dict], *, year: int, community_path: str | None) -> list[dict]:
    """Add `stars`, `score` and `exempt` to ranked people for a year, by the district's scheme
    (of `community_path`, else of each row's `node_path`)."""
    ids = [r["person_id"] for r in rows]
    exempt, deducted = exemptions_of(ids, year), deducted_of(ids, year)
    for row in rows:
        scheme = scheme_for(community_path or row.get("node_path"))
        rating = rate(
            scheme,
            points=row["points"],
            deducted=deducted.get(row["person_id"], 0),
            exempt=row["person_id"] in exempt,
        )
        row.update(stars=rating.stars, score=rating.score, exempt=rating.exempt, scheme=scheme)
        if row["person_id"] in exempt:
            row["exemption"] = exempt[row["person_id"]]
        row["deducted"] = deducted.get(row["person_id"], 0)
    return rows


def person_rating(person: Person, year: int) -> dict:
    """One member's rating for a year: points, deductions, exemption, stars."""
    start, end, _ = period_span("year", str(year))
    earned = earnings_stmt(
        kind="hongsong", owner_type="person", start=start, end=end, moved_out=counted_elsewhere()
    ).subquery()
    points = session().execute(sa.select(earned.c.points).where(earned.c.owner_id == person.id)).scalar()
    community = find_node(person.community_id)
    row = {"person_id": person.id, "points": int(points or 0)}
    with_ratings([row], year=year, community_path=community.path if community else None)
    row["exemption"] = exemptions_of([person.id], year).get(person.id)
    row["deducted"] = deducted_of([person.id], year).get(person.id, 0)
    return row


# --- periods and objections -----------------------------------------------------------------


def get_period(period_id: int, *, lock: bool = False) -> Period:
    return get_row(Period, period_id, NotFound("not_found", "未找到"), lock=lock)


def community_path(community_id: int) -> str:
    node = find_node(community_id)
    if node is None or node.level != "community":
        raise NotFound("not_found", "未找到")
    return node.path


def visible_period(actor: Actor, period_id: int, action: str = "evaluation.read") -> Period:
    period = get_period(period_id)
    actor.require(action, community_path(period.community_id))
    return period


def periods_stmt(
    *, scope: sa.ColumnElement[bool] | None = None, community_id: int | None = None
) -> sa.Select:
    query = select(Period).join(OrgNode, OrgNode.id == Period.community_id).order_by(Period.id.desc())
    if scope is not None:
        query = query.where(scope)
    if community_id is not None:
        query = query.where(Period.community_id == community_id)
    return query


def public_periods(community_id: int) -> list[Period]:
    """Periods of a community in notice or frozen, newest first (the public 公示 list)."""
    return list(session().exec(periods_stmt(community_id=community_id).limit(20)).all())


def objections_of(period_id: int) -> list[Objection]:
    return list(
        session().exec(select(Objection).where(Objection.period_id == period_id).order_by(Objection.id)).all()
    )


def open_objections(period_id: int) -> int:
    return (
        session()
        .execute(
            sa.select(sa.func.count()).where(Objection.period_id == period_id, Objection.state == "open")
        )
        .scalar_one()
    )


def get_objection(objection_id: int, *, lock: bool = False) -> Objection:
    return get_row(Objection, objection_id, NotFound("not_found", "未找到"), lock=lock)


def snapshot_rows(period_id: int, *, limit: int = 200) -> list[dict]:
    snap = Snapshot.__table__
    query = (
        sa.select(snap, _people.c.name)
        .join(_people, _people.c.id == snap.c.person_id)
        .where(snap.c.period_id == period_id)
        .order_by(snap.c.rank, snap.c.person_id)
        .limit(limit)
    )
    return [dict(r) for r in session().execute(query).mappings()]


def period_rows(period: Period, *, limit: int = 200) -> list[dict]:
    """The period's list: the frozen snapshot, or (in notice) the live ranking with ratings."""
    if period.state == "frozen":
        return snapshot_rows(period.id, limit=limit)
    path = community_path(period.community_id)
    stmt = person_ranking_stmt(
        kind=period.kind, start=period.starts_at, end=period.ends_at, node_path=path, period_id=period.id
    )
    rows = ranking_rows(stmt, limit=limit)
    if period.kind == "hongsong" and period.period_type == "year":
        with_ratings(rows, year=period.starts_at.astimezone(LOCAL_TZ).year, community_path=path)
    return rows


def get_deduction(deduction_id: int, *, lock: bool = False) -> Deduction:
    return get_row(Deduction, deduction_id, NotFound("not_found", "未找到"), lock=lock)


def deductions_of(person_id: int, *, year: int | None = None) -> list[Deduction]:
    query = select(Deduction).where(Deduction.person_id == person_id).order_by(Deduction.id.desc())
    if year is not None:
        query = query.where(Deduction.year == year)
    return list(session().exec(query).all())


def deductions_stmt(*, scope: sa.ColumnElement[bool], open_only: bool = False) -> sa.Select:
    """Deductions within scope, oldest first; `open_only`: those waiting for a decision."""
    query = (
        select(Deduction)
        .join(OrgNode, OrgNode.id == Deduction.community_id)
        .where(scope)
        .order_by(Deduction.id)
    )
    if open_only:
        query = query.where(Deduction.state.in_(("pending", "appealed")))
    return query


def community_name(community_id: int) -> str:
    return community_names([community_id]).get(community_id, "")


# --- 双报告: what a unit's members did, for the unit ------------------------------------------


def service_columns(moves) -> list:
    return [
        moves.c.transfer_id,
        moves.c.created_at,
        moves.c.community_id,
        moves.c.kind,
        moves.c.reason,
        moves.c.memo,
        moves.c.ref_type,
        moves.c.ref_id,
        moves.c.owner_type,
        _people.c.id.label("person_id"),
        sa.func.coalesce(_people.c.name, _units.c.name).label("name"),
        moves.c.points,
    ]


def unit_service_stmt(
    *, unit_id: int, start: datetime, end: datetime, kind: str | None = None, person_id: int | None = None
) -> sa.Select:
    """The awards (and reversals of them) in [start, end) to the people who work at a unit and
    to the unit itself, oldest first: columns transfer_id, created_at, community_id, kind,
    reason, memo, ref_type, ref_id, owner_type, person_id (None for the unit's own), name,
    points."""
    moves = award_moves_stmt(start=start, end=end).subquery("moves")
    is_person = moves.c.owner_type == "person"
    query = (
        sa.select(*service_columns(moves))
        .outerjoin(_people, sa.and_(is_person, _people.c.id == moves.c.owner_id))
        .outerjoin(_units, sa.and_(moves.c.owner_type == "unit", _units.c.id == moves.c.owner_id))
        .where(
            sa.or_(
                sa.and_(is_person, _people.c.work_unit_id == unit_id),
                sa.and_(moves.c.owner_type == "unit", moves.c.owner_id == unit_id),
            )
        )
        .order_by(moves.c.created_at, moves.c.transfer_id)
    )
    if kind is not None:
        query = query.where(moves.c.kind == kind)
    if person_id is not None:
        query = query.where(_people.c.id == person_id)
    return query


def unit_frozen_periods(unit_id: int, *, limit: int = 50) -> list[Period]:
    """Frozen periods whose snapshot lists someone who works at the unit, newest first."""
    snap = Snapshot.__table__
    listed = (
        sa.select(snap.c.period_id)
        .join(_people, _people.c.id == snap.c.person_id)
        .where(_people.c.work_unit_id == unit_id)
    )
    query = (
        select(Period)
        .where(Period.state == "frozen", Period.id.in_(listed))
        .order_by(Period.ends_at.desc(), Period.id.desc())
        .limit(limit)
    )
    return list(session().exec(query).all())


def unit_snapshot_rows(period_id: int, unit_id: int) -> list[dict]:
    """The frozen score, rank and stars of the unit's people in a period."""
    snap = Snapshot.__table__
    query = (
        sa.select(snap, _people.c.name)
        .join(_people, _people.c.id == snap.c.person_id)
        .where(snap.c.period_id == period_id, _people.c.work_unit_id == unit_id)
        .order_by(snap.c.rank, snap.c.person_id)
    )
    return [dict(r) for r in session().execute(query).mappings()]


# --- the annual assessment sheet ------------------------------------------------------------


def unit_members_book_stmt(*, unit_id: int, start: datetime, end: datetime) -> sa.Select:
    """The party members who work at a unit with their 红松分 in [start, end) (the 台账's rows,
    zeros included), for the organisation's summary."""
    return member_book_stmt(start=start, end=end).where(_people.c.work_unit_id == unit_id)


def unit_community_paths(unit_id: int) -> list[str]:
    """The communities a unit is confirmed as reporting to (双报到), by path."""
    regs = Registration.__table__
    query = (
        sa.select(_nodes.c.path)
        .join(regs, regs.c.community_id == _nodes.c.id)
        .where(regs.c.kind == "unit", regs.c.status == "confirmed", regs.c.unit_id == unit_id)
    )
    return list(session().execute(query).scalars())


def communities_side_by_side_stmt(*, start: datetime, end: datetime, node_path: str) -> sa.Select:
    """Every community under a node with the points awarded there in [start, end) (less
    reversals) and how many people earned some: columns community_id, name, points, people."""
    moves = award_moves_stmt(start=start, end=end).subquery("moves")
    earner = sa.case((sa.and_(moves.c.owner_type == "person", moves.c.points > 0), moves.c.owner_id))
    return (
        sa.select(
            _nodes.c.id.label("community_id"),
            _nodes.c.name,
            sa.func.coalesce(sa.func.sum(moves.c.points), 0).label("points"),
            sa.func.count(sa.distinct(earner)).label("people"),
        )
        .outerjoin(moves, moves.c.community_id == _nodes.c.id)
        .where(_nodes.c.level == "community", _nodes.c.path.startswith(node_path, autoescape=True))
        .group_by(_nodes.c.id, _nodes.c.name)
        .order_by(_nodes.c.path)
    )
