"""Every statement on a ledger table can be routed to one community's shard.

A national deployment runs the ledger on a distributed PostgreSQL (Citus) with `community_id`
as the distribution column of the transfers, chain heads and budgets, and accounts spread by
their id. That works when every write, and every read on the hot paths, names the community
or the row's primary key; a read that must look across communities (a person's statement,
the nightly verification) is a fan-out query Citus runs on every shard, and is listed here
with its reason. Citus cannot run in this test suite, so the property is checked on the SQL
the service actually sends, captured while a representative day of ledger work runs through
the API.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from points.db import get_db
from points.ledger import operations, posting
from tests.ledger.conftest import award_body

LEDGER_TABLES = ("ledger_transfers", "ledger_chain_heads", "ledger_budgets", "ledger_accounts")
# A bound value in any driver's style (`?`, `%(name)s`, `:name`), or an expanded IN list.
_VALUE = r"(\?|%\(\w+\)s|:\w+)"
_ROUTED = re.compile(rf"(community_id|(^|[ .(])id) (= {_VALUE}|= ANY\({_VALUE}|IN \({_VALUE})")
# Reads that look across communities on purpose: Citus runs them on every shard.
FAN_OUT_READS = {
    # A person's or unit's account collects points from every community they serve.
    "statement of an account": re.compile(r"(debit|credit)_account_id (=|IN) "),
    # Accounts are spread by id; finding one by its owner asks every shard (then it is cached).
    "account by owner": re.compile(r"owner_type = "),
    # Staff and supervisors read what their node's subtree holds, often many communities (the
    # queue and browsing name the subtree's communities instead; the discretionary share joins).
    "reader's scope": re.compile(r"org_nodes\.path LIKE "),
}


# A server-side posting function (PostgreSQL, migration 0021) takes the community first: Citus
# routes a distributed function's call by that argument, and every statement in its body names
# the community or the accounts' ids.
_CALL = re.compile(rf"^SELECT \* FROM ledger_\w+\({_VALUE}::bigint")


def routed(sql: str) -> bool:
    """The statement names a community, or a ledger row by its primary key, by value."""
    if _CALL.match(sql):
        return True
    if sql.startswith("INSERT"):
        # A row goes to the shard of the community it carries (accounts: of their id).
        columns = sql.partition("(")[2].partition(")")[0]
        return "community_id" in columns or sql.startswith("INSERT INTO ledger_accounts")
    return bool(_ROUTED.search(sql.partition(" WHERE ")[2]))


def fan_out_reason(sql: str) -> str | None:
    if not sql.startswith(("SELECT", "WITH")) or " FOR UPDATE" in sql:
        return None
    return next((reason for reason, pattern in FAN_OUT_READS.items() if pattern.search(sql)), None)


class _Recording:
    """The posting path's driver cursor, noting what it sends."""

    def __init__(self, cursor, note):
        self._cursor, self._note = cursor, note

    def execute(self, statement, *args):
        self._note(statement)
        return self._cursor.execute(statement, *args)

    def executemany(self, statement, *args):
        self._note(statement)
        return self._cursor.executemany(statement, *args)

    def __getattr__(self, name):
        return getattr(self._cursor, name)


@pytest.fixture
def statements(app, monkeypatch):
    sent: list[str] = []

    def note(statement: str) -> None:
        flat = " ".join(statement.split())
        if any(t in flat for t in LEDGER_TABLES) or _CALL.match(flat):
            sent.append(flat)

    def recording_cursor():
        cur, sql = posting.cursor()
        return _Recording(cur, note), sql

    monkeypatch.setattr(operations, "cursor", recording_cursor)
    engine = get_db().engine
    listen = lambda _conn, _cursor, statement, *_rest: note(statement)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listen)
    yield sent
    sa.event.remove(engine, "before_cursor_execute", listen)


def idem(value: str) -> dict:
    return {"Idempotency-Key": value}


def a_day_of_ledger_work(world, api_as, spend) -> None:
    staff, checker, resident = api_as(world.staff), api_as(world.checker), api_as(world.resident)
    body = award_body(world)
    ids = [staff.post("/api/v1/awards", json=body, headers=idem(f"d{i}")).json["id"] for i in range(4)]
    assert checker.post(f"/api/v1/awards/{ids[0]}/approve", headers=idem("a")).status_code == 200
    assert (
        checker.post(
            f"/api/v1/awards/{ids[1]}/reject", json={"reason": "重复"}, headers=idem("r")
        ).status_code
        == 200
    )
    bulk = checker.post("/api/v1/awards/bulk-approve", json={"ids": ids[2:]}, headers=idem("b"))
    assert bulk.status_code == 200
    reversal = checker.post(f"/api/v1/transfers/{ids[0]}/reverse", json={"reason": "错发"}, headers=idem("v"))
    assert reversal.status_code == 201
    assert staff.post(f"/api/v1/awards/{reversal.json['id']}/approve", headers=idem("va")).status_code == 200
    spend(3)
    urls = ("/api/v1/awards/queue", "/api/v1/ledger/transfers", f"/api/v1/ledger/transfers/{ids[2]}")
    for url in (*urls, "/api/v1/ledger/discretionary"):
        assert staff.get(url).status_code == 200
    for url in ("/api/v1/me/balances", "/api/v1/me/statement?kind=xingan"):
        assert resident.get(url).status_code == 200


def test_every_ledger_statement_names_its_community_or_row(app, world, api_as, spend, statements, save):
    a_day_of_ledger_work(world, api_as, spend)
    save()
    writes = [
        sql for sql in statements if not sql.startswith("SELECT") or " FOR UPDATE" in sql or _CALL.match(sql)
    ]
    assert len(writes) > 10, "the workload wrote too little to judge"
    unrouted = [sql for sql in statements if not routed(sql) and fan_out_reason(sql) is None]
    assert unrouted == [], "\n\n".join(unrouted)
    # Every kind of fan-out read was seen, so none of the patterns above is dead.
    seen = Counter(fan_out_reason(sql) for sql in statements if not routed(sql))
    assert set(seen) == set(FAN_OUT_READS), seen


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE ledger_chain_heads SET seq = %(seq)s WHERE community_id = %(community)s", True),
        ("SELECT 1 FROM ledger_transfers WHERE community_id = ? AND pending_id IN (?, ?)", True),
        ("SELECT * FROM ledger_transfers WHERE ledger_transfers.id = ?", True),
        ("UPDATE ledger_accounts AS a SET posted = 1 FROM unnest(%(a)s) AS v(x) WHERE a.id = v.x", False),
        ("SELECT 1 FROM ledger_transfers r WHERE r.community_id = ledger_transfers.community_id", False),
        ("SELECT 1 FROM ledger_transfers WHERE pending_id IN (?, ?)", False),
        ("INSERT INTO ledger_transfers (community_id, seq) VALUES (?, ?)", True),
        ("SELECT * FROM ledger_post_one(%(community_id)s::bigint, %(expect_seq)s::bigint)", True),
    ],
)
def test_what_counts_as_routed(sql, expected):
    assert routed(sql) is expected
