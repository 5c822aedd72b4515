"""The posting path's SQL, written once per backend in the driver's parameter style.

Posting is the hottest code in the service, so it talks to the driver's cursor
directly: no statement construction or compilation per posting, and on
PostgreSQL psycopg prepares the statements after a few executions and
pipelines `executemany`. The SQL is the same on both backends except for the
row lock, which SQLite does not have (its IMMEDIATE transaction is the lock).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache

from points.ledger.chain import HASHED_FIELDS

# What a transfer row holds: the hashed fields, then its place in the chain.
TRANSFER_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")

_NAMED = re.compile(r":(\w+)")
_PG_TYPES = {
    column: "bigint"
    if column.endswith("_id") or column in ("seq", "amount")
    else "timestamptz"
    if column == "created_at"
    else "text"
    for column in TRANSFER_COLUMNS
}


class Statements:
    def __init__(self, dialect: str):
        self.dialect = dialect
        self.postgres = dialect == "postgresql"
        # The community names the shard (tests/ledger/test_distribution.py), but a list of keys or
        # ids is found by their own unique index: without statistics, SQLite would otherwise read
        # the list through the community's index, every row of its history, and the unary plus
        # keeps it off that index.
        self._community = "community_id" if self.postgres else "+community_id"
        self._heads()
        self._balances()
        self._accounts()
        self._transfers()

    def _heads(self) -> None:
        lock = " FOR UPDATE OF h" if self.postgres else ""
        # The locked row is re-read by PostgreSQL after a wait, so seq, hash and the budget flag are
        # current; the joined transfer is not (the statement's snapshot predates the wait), which is
        # why the balance update checks the key again (`move_balance_new_key`).
        self.lock_head_one = self.sql(
            "SELECT h.seq, h.head_hash, h.has_budget, t.id, t.idempotency_key"
            " FROM ledger_chain_heads h"
            " LEFT JOIN ledger_transfers t ON t.community_id = h.community_id AND t.idempotency_key = :key"
            " WHERE h.community_id = :community" + lock
        )
        self.lock_head = self.sql(
            "SELECT h.seq, h.head_hash, h.has_budget, NULL, NULL FROM ledger_chain_heads h"
            " WHERE h.community_id = :community" + lock
        )
        self.ensure_head = self.sql(
            "INSERT INTO ledger_chain_heads (community_id, seq, head_hash) VALUES (:community, 0, :genesis)"
            " ON CONFLICT (community_id) DO NOTHING"
        )
        self.move_head = self.sql(
            "UPDATE ledger_chain_heads SET seq = :seq, head_hash = :hash WHERE community_id = :community"
        )

    def _balances(self) -> None:
        self.move_balance = self.sql(
            "UPDATE ledger_accounts SET posted = posted + :d_posted, pending_in = pending_in + :d_pending_in,"
            " pending_out = pending_out + :d_pending_out"
            " WHERE id = :account_id AND (allow_negative OR posted - pending_out >= :need)"
        )
        self.move_balance_new_key = self.sql(
            "UPDATE ledger_accounts SET posted = posted + :d_posted, pending_in = pending_in + :d_pending_in,"
            " pending_out = pending_out + :d_pending_out"
            " WHERE id = :account_id AND (allow_negative OR posted - pending_out >= :need)"
            " AND NOT EXISTS (SELECT 1 FROM ledger_transfers WHERE community_id = :community AND idempotency_key = :key)"
        )
        # PostgreSQL moves every account of a posting in one statement (arrays: one prepared
        # statement whatever the count), instead of a pipeline of one UPDATE per account.
        moves = (
            "UPDATE ledger_accounts AS a SET posted = a.posted + v.d_posted,"
            " pending_in = a.pending_in + v.d_pending_in, pending_out = a.pending_out + v.d_pending_out"
            " FROM unnest(%(account_id)s::bigint[], %(d_posted)s::bigint[], %(d_pending_in)s::bigint[],"
            " %(d_pending_out)s::bigint[], %(need)s::bigint[])"
            " AS v(account_id, d_posted, d_pending_in, d_pending_out, need)"
            # The ids again as values, so a sharded database sends the update only where they live.
            " WHERE a.id = ANY(%(account_id)s::bigint[]) AND a.id = v.account_id"
            " AND (a.allow_negative OR a.posted - a.pending_out >= v.need)"
        )
        self.move_balances = moves

    def _accounts(self) -> None:
        self.accounts_two = self.sql(
            "SELECT id, owner_type, owner_id FROM ledger_accounts WHERE kind = :kind AND"
            " ((owner_type = :t0 AND owner_id = :i0) OR (owner_type = :t1 AND owner_id = :i1))"
        )
        self.insert_account = self.sql(
            "INSERT INTO ledger_accounts (kind, owner_type, owner_id, allow_negative, posted, pending_in,"
            " pending_out, created_at) VALUES (:kind, :owner_type, :owner_id, :allow_negative, 0, 0, 0, :now)"
            " ON CONFLICT (owner_type, owner_id, kind) DO NOTHING"
        )

    def _transfers(self) -> None:
        # PostgreSQL takes many rows as one array per column: a short statement, prepared
        # once, however many rows a bulk approval brings.
        arrays = ", ".join(f"%({c})s::{_PG_TYPES[c]}[]" for c in TRANSFER_COLUMNS)
        self.insert_transfers_arrays = (
            f"INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) SELECT * FROM unnest({arrays})"
            " RETURNING id, seq"
        )
        self.insert_transfer_returning = self.sql(self._insert_transfer() + " RETURNING id")
        # PostgreSQL posts a single row in one call to a function made by a migration (0021):
        # the same steps as the application's path, without a round trip between them.
        self.post_one = (
            "SELECT * FROM ledger_post_one(%(community_id)s::bigint, %(expect_seq)s::bigint,"
            " %(expect_hash)s::text, %(hash)s::text, %(kind)s::text, %(debit_account_id)s::bigint,"
            " %(credit_account_id)s::bigint, %(amount)s::bigint, %(status)s::text, %(reason)s::text,"
            " %(proof)s::text, %(ref_type)s::text, %(ref_id)s::bigint, %(pending_id)s::bigint,"
            " %(reverses_id)s::bigint, %(memo)s::text, %(evidence)s::text, %(requested_by_id)s::bigint,"
            " %(verified_by_id)s::bigint, %(approved_by_id)s::bigint, %(idempotency_key)s::text,"
            " %(created_at)s::timestamptz, %(account_id)s::bigint[], %(d_posted)s::bigint[],"
            " %(d_pending_in)s::bigint[], %(d_pending_out)s::bigint[], %(need)s::bigint[],"
            " %(budget_kind)s::text, %(budget_year)s::integer, %(budget_delta)s::bigint)"
        )

    def sql(self, text: str) -> str:
        """Write `:name` parameters in the driver's style."""
        return _NAMED.sub(r"%(\1)s", text) if self.postgres else text

    def existing_keys(self, count: int) -> str:
        return self.sql(
            "SELECT id, idempotency_key FROM ledger_transfers"
            f" WHERE {self._community} = :community AND {self._any('idempotency_key', 'key', count)}"
        )

    def _any(self, column: str, prefix: str, count: int) -> str:
        """`column` among the values :{prefix}0 … (one array parameter :{prefix} on PostgreSQL)."""
        return f"{column} = ANY(%({prefix})s)" if self.postgres else _in(column, prefix, count)

    def many(self, prefix: str, values: list) -> dict:
        """The parameters for `_any`: one array on PostgreSQL, one name per value on SQLite."""
        if self.postgres:
            return {prefix: list(values)}
        return {f"{prefix}{i}": value for i, value in enumerate(values)}

    def accounts_many(self, count: int) -> str:
        """Many owners' accounts of one kind in one indexed statement: a join of the
        (owner_type, owner_id, kind) key with the owners as arrays on PostgreSQL (one prepared
        statement whatever the count), as VALUES on SQLite (see `owners`)."""
        if self.postgres:
            return (
                "SELECT a.id, a.owner_type, a.owner_id FROM unnest(%(t)s::text[], %(i)s::bigint[])"
                " AS w(owner_type, owner_id) JOIN ledger_accounts a"
                " ON a.owner_type = w.owner_type AND a.owner_id = w.owner_id AND a.kind = %(kind)s"
            )
        rows = ", ".join(f"(:t{i}, :i{i})" for i in range(count))
        return (
            f"WITH w(owner_type, owner_id) AS (VALUES {rows}) SELECT a.id, a.owner_type, a.owner_id FROM w"
            " JOIN ledger_accounts a ON a.owner_type = w.owner_type AND a.owner_id = w.owner_id AND a.kind = :kind"
        )

    def owners(self, kind: str, owners: list[tuple[str, int]]) -> dict:
        """The parameters of `accounts_many` (and of `accounts_two` for two owners)."""
        if self.postgres and len(owners) != 2:
            return {"kind": kind, "t": [t for t, _ in owners], "i": [i for _, i in owners]}
        params: dict = {"kind": kind}
        for n, (owner_type, owner_id) in enumerate(owners):
            params[f"t{n}"], params[f"i{n}"] = owner_type, owner_id
        return params

    def resolved_any(self, column: str, count: int) -> str:
        """Any row resolving (`pending_id`) or reversing (`reverses_id`) one of these ids."""
        return self.sql(
            f"SELECT 1 FROM ledger_transfers WHERE {self._community} = :community AND {self._any(column, 'r', count)}"
            " LIMIT 1"
        )

    def _insert_transfer(self) -> str:
        columns = ", ".join(TRANSFER_COLUMNS)
        values = ", ".join(f":{c}" for c in TRANSFER_COLUMNS)
        return f"INSERT INTO ledger_transfers ({columns}) VALUES ({values})"

    def insert_transfers_values(self, count: int) -> str:
        """SQLite: many transfer rows in one statement (TRANSFER_COLUMNS in order, positional
        parameters), answering each row's id and seq."""
        row = "(" + ", ".join(["?"] * len(TRANSFER_COLUMNS)) + ")"
        return (
            f"INSERT INTO ledger_transfers ({', '.join(TRANSFER_COLUMNS)}) VALUES {', '.join([row] * count)}"
            " RETURNING id, seq"
        )

    def timestamp(self, moment: datetime):
        """What the driver stores for a UTC time (SQLAlchemy's SQLite text format there)."""
        if self.postgres:
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def flag(self, value: bool):
        return value if self.postgres else int(value)


def _in(column: str, prefix: str, count: int) -> str:
    return f"{column} IN ({', '.join(f':{prefix}{i}' for i in range(count))})"


@cache
def statements(dialect: str) -> Statements:
    return Statements(dialect)
