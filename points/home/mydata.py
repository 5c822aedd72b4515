"""Everything held about one person, gathered from every domain for them to see and download
(PIPL): profile, consents, roles, registrations, claims, check-ins, demands, vouchers, the
statement of each kind of points, and notices."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

from openpyxl import Workbook
from sqlmodel import SQLModel

from points.access import Actor
from points.board import queries as board
from points.checkin import queries as checkin
from points.db import session
from points.demands import queries as demands
from points.ledger.history import export_rows
from points.ledger.models import Kind
from points.ledger.queries import find_account_id
from points.notices.queries import notices_of
from points.onboarding.queries import consents_of
from points.people import queries as people
from points.store.queries import vouchers_stmt

# Columns that hold secrets, not information about the person: never exported.
_SECRET = ("password_hash", "code_hash", "client_key", "secret_hash", "token_hash")
SECTIONS = (
    "profile",
    "consents",
    "roles",
    "registrations",
    "claims",
    "checkins",
    "demands",
    "vouchers",
    "statement",
    "notices",
)


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        # PostgreSQL's window sums (running balances) come back as decimals of whole points.
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in _SECRET}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(obj) -> dict:
    return _plain(obj.model_dump() if isinstance(obj, SQLModel) else dict(obj))


def _statement(person_id: int) -> list[dict]:
    rows = []
    for kind in Kind:
        account_id = find_account_id("person", person_id, kind.value)
        if account_id is None:
            continue
        for row in export_rows(account_id):
            rows.append(_plain({"kind": kind.value, **{k: row[k] for k in _STATEMENT_COLUMNS}}))
    return rows


_STATEMENT_COLUMNS = (
    "id",
    "created_at",
    "status",
    "reason",
    "amount",
    "change",
    "balance",
    "memo",
    "ref_type",
    "ref_id",
)


def my_data(actor: Actor) -> dict[str, list[dict]]:
    """Every section of what is held about the actor, as plain JSON-ready rows."""
    person_id = actor.person_id
    person = people.get_person(person_id)
    checkins = session().execute(checkin.checkins_stmt(person_id=person_id)).all()
    vouchers = session().execute(vouchers_stmt(person_id=person_id)).all()
    return {
        "profile": [_row(person)],
        "consents": [_row(c) for c in consents_of(person_id)],
        "roles": people.role_list(person_id),
        "registrations": [_row(r) for r in people.registrations_of(person_id)],
        "claims": [_row(c) for c in session().scalars(board.my_claims_stmt(actor))],
        "checkins": [{**_row(c), "activity": a.title, "station": s.name} for c, a, s, _person in checkins],
        "demands": [_row(d) for d in session().scalars(demands.demands_stmt(actor, mine=True))],
        "vouchers": [{**_row(v), "item": item.name} for v, item in vouchers],
        "statement": _statement(person_id),
        "notices": [_row(n) for n in notices_of(person_id)],
    }


def _cell(value):
    if isinstance(value, dict | list):
        return str(value)
    return value


def my_data_xlsx(data: dict[str, list[dict]]) -> bytes:
    """The same sections, one sheet each (a header of every column its rows have)."""
    book = Workbook(write_only=True)
    for name in SECTIONS:
        sheet = book.create_sheet(name)
        rows = data.get(name, [])
        columns = list(dict.fromkeys(key for row in rows for key in row))
        sheet.append(columns or ["-"])
        for row in rows:
            sheet.append([_cell(row.get(column)) for column in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
