"""A single posting that happens only if another statement, run first, returns a row: a
redemption takes a piece of stock and then posts, while it holds the item's row.

On PostgreSQL both go in one round trip: the statement in a `WITH` and the posting function
(`ledger_post_after`, migration 0025) joined to it, which PostgreSQL calls once per row that
statement returns, after it. The function hashes the row under the head's lock from the
canonical form the application cut open for it (`chain.hash_pieces`), so one call always posts,
whoever moved the head last. Elsewhere the statement runs, then the posting path in process.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import psycopg
import sqlalchemy as sa

from points.db import session
from points.errors import Conflict
from points.ledger.chain import hash_pieces
from points.ledger.operations import _append, _posted_one, _row, log
from points.ledger.posting import Leg, call_params, cursor, remember_head
from points.metrics import POSTINGS, count

_ARGUMENTS = (
    "community_id::bigint",
    "hash_before::text",
    "hash_after::text",
    "kind::text",
    "debit_account_id::bigint",
    "credit_account_id::bigint",
    "amount::bigint",
    "status::text",
    "reason::text",
    "proof::text",
    "ref_type::text",
    "ref_id::bigint",
    "pending_id::bigint",
    "reverses_id::bigint",
    "memo::text",
    "evidence::text",
    "requested_by_id::bigint",
    "verified_by_id::bigint",
    "approved_by_id::bigint",
    "idempotency_key::text",
    "created_at::timestamptz",
    "account_id::bigint[]",
    "d_posted::bigint[]",
    "d_pending_in::bigint[]",
    "d_pending_out::bigint[]",
    "need::bigint[]",
    "budget_kind::text",
    "budget_year::integer",
    "budget_delta::bigint",
)
_NAMES = {argument.partition("::")[0] for argument in _ARGUMENTS}
_CALL = ", ".join("%({})s::{}".format(*argument.split("::")) for argument in _ARGUMENTS)


# Per statement and backend: the statements are module-level constants.
_JOINED: dict[tuple[int, str], tuple[str, object]] = {}


def _joined_sql(first: sa.Executable, dialect: sa.Dialect) -> tuple[str, object]:
    """The statement with the posting joined to it, and its compiled form (for its parameters)."""
    known = _JOINED.get((id(first), dialect.name))
    if known is not None:
        return known
    compiled = first.compile(dialect=dialect)
    clash = _NAMES & set(compiled.params)
    if clash:
        raise ValueError(f"the first statement's parameters clash with the posting's: {clash}")
    sql = (
        f"WITH first AS ({compiled.string}) "
        "SELECT p.outcome, p.row_id, p.at_seq, p.at_hash, p.at_prev, first.* FROM first "
        f"CROSS JOIN LATERAL ledger_post_after(num_nonnulls(first)::bigint, {_CALL}) AS p"
    )
    _JOINED[(id(first), dialect.name)] = sql, compiled
    return sql, compiled


def post_after(
    first: sa.Executable, first_params: dict, community_id: int, leg: Leg, now: datetime
) -> tuple[sa.Row, dict] | None:
    """Run `first`; if it returned a row, post `leg` (one row) in the same transaction, and
    answer that row with the posted transfer. None when `first` returned no row: nothing was
    posted. The posting raises what `operations._append` raises."""
    conn = session().connection()
    if conn.dialect.name != "postgresql":
        taken = conn.execute(first, first_params).first()
        return None if taken is None else (tuple(taken), _append(community_id, [leg], now=now)[0])
    sql, compiled = _joined_sql(first, conn.dialect)
    row = _row(community_id, 0, leg, now)
    row["hash_before"], row["hash_after"] = hash_pieces(row)
    params = {**compiled.construct_params(first_params), **row, **call_params(leg)}
    try:
        answer = conn.exec_driver_sql(sql, params).first()
    except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
        log.error("ledger constraint refused a posting in community %s: %s", community_id, exc)
        raise Conflict("ledger_conflict", "积分记录与已有记录冲突，未入账") from exc
    if answer is None:
        return None
    outcome, row_id, seq, head_hash, prev_hash = answer[:5]
    remember_head(cursor()[0], community_id, seq, head_hash)
    del row["hash_before"], row["hash_after"]
    row.update(seq=seq, hash=head_hash, prev_hash=prev_hash)
    posted = _posted_one(outcome, row_id, row, community_id, leg)
    if outcome == "posted":
        count(POSTINGS.labels(leg.status), 1)
    return tuple(answer[5:]), posted
