"""Reads for the monthly 双报告 the job prepares: every unit's service of a month in one
statement, the task or activity (and its hours) behind each award, and the reports prepared."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select

from points.board.service import services_of_claims
from points.checkin.queries import services_of_checkins
from points.db import session
from points.evaluation.models import UnitReport
from points.evaluation.queries import service_columns
from points.ledger.queries import award_moves_stmt
from points.org.models import Unit
from points.people.models import Person, Registration

_people = Person.__table__
_units = Unit.__table__


def services_behind(rows: list[dict]) -> dict[tuple[str, int], dict]:
    """(ref_type, ref_id) -> the task or activity an award rests on, with its `hours` (of the
    task, or of the stay from check-in to check-out): two reads, whatever the number of rows."""

    def refs(kind: str) -> list[int]:
        return sorted({r["ref_id"] for r in rows if r["ref_type"] == kind and r["ref_id"] is not None})

    found = {
        **{("claim", k): v for k, v in services_of_claims(refs("claim")).items()},
        **{("checkin", k): v for k, v in services_of_checkins(refs("checkin")).items()},
    }
    for service in found.values():
        seconds = max((service["ends_at"] - service["starts_at"]).total_seconds(), 0)
        service["hours"] = round(seconds / 3600, 1)
    return found


def all_units_service_stmt(*, start: datetime, end: datetime) -> sa.Select:
    """`unit_service_stmt` for every unit at once (the monthly job): the same columns and
    `unit_id`, by unit, oldest first."""
    moves = award_moves_stmt(start=start, end=end).subquery("moves")
    is_person = moves.c.owner_type == "person"
    unit_id = sa.case((is_person, _people.c.work_unit_id), else_=moves.c.owner_id)
    return (
        sa.select(unit_id.label("unit_id"), *service_columns(moves))
        .outerjoin(_people, sa.and_(is_person, _people.c.id == moves.c.owner_id))
        .outerjoin(_units, sa.and_(moves.c.owner_type == "unit", _units.c.id == moves.c.owner_id))
        .where(sa.or_(sa.and_(is_person, _people.c.work_unit_id.is_not(None)), moves.c.owner_type == "unit"))
        .order_by(unit_id, moves.c.created_at, moves.c.transfer_id)
    )


def reporting_unit_ids() -> list[int]:
    """Units confirmed as reporting to a community (双报到): each gets a monthly report, even an
    empty one."""
    regs = Registration.__table__
    query = sa.select(sa.distinct(regs.c.unit_id)).where(
        regs.c.kind == "unit", regs.c.status == "confirmed", regs.c.unit_id.is_not(None)
    )
    return list(session().execute(query).scalars())


def prepared_months(unit_id: int) -> list[UnitReport]:
    """A unit's prepared monthly reports, newest first."""
    return list(
        session()
        .exec(select(UnitReport).where(UnitReport.unit_id == unit_id).order_by(UnitReport.month.desc()))
        .all()
    )


def find_prepared(unit_id: int, month: str) -> UnitReport | None:
    return (
        session()
        .exec(select(UnitReport).where(UnitReport.unit_id == unit_id, UnitReport.month == month))
        .first()
    )


def prepared_unit_ids(month: str) -> set[int]:
    return set(session().execute(sa.select(UnitReport.unit_id).where(UnitReport.month == month)).scalars())
