"""Reading balances, statements and transfers; balances come from cached totals, never sums."""

from __future__ import annotations

import sqlalchemy as sa

from points.db import session
from points.ledger.models import KINDS, Account

_accounts = Account.__table__

_BALANCES = sa.select(
    _accounts.c.kind, _accounts.c.posted, _accounts.c.pending_in, _accounts.c.pending_out
).where(
    _accounts.c.owner_type == sa.bindparam("owner_type"), _accounts.c.owner_id == sa.bindparam("owner_id")
)


def balances_of(owner_type: str, owner_id: int) -> dict[str, dict[str, int]]:
    """Posted, pending and available points per kind, read by key from cached totals."""
    out = {kind: {"posted": 0, "pending_in": 0, "pending_out": 0, "available": 0} for kind in KINDS}
    rows = session().connection().execute(_BALANCES, {"owner_type": owner_type, "owner_id": owner_id})
    for kind, posted, pending_in, pending_out in rows:
        out[kind] = {
            "posted": posted,
            "pending_in": pending_in,
            "pending_out": pending_out,
            # Pending awards coming in are not spendable; pending spending is reserved.
            "available": posted - pending_out,
        }
    return out


def balances_of_person(person_id: int) -> dict[str, dict[str, int]]:
    return balances_of("person", person_id)


def balances_of_unit(unit_id: int) -> dict[str, dict[str, int]]:
    return balances_of("unit", unit_id)
