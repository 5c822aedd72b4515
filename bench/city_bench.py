"""Read paths on a demo-sized and a city-sized database, side by side, in one run (PostgreSQL).

Makes two throwaway databases on the server given, loads the demo into both (the project's own
loader), then grows the second to a city through bulk SQL: extra communities (through the org
operation), people with a 兴安分 account each, tasks and claims copied from a demo row, ledger
transfers per community (posted awards, pending awards of which most were approved, and a
resident with a long statement) with their chain heads moved on, and audit entries. Then, for
each read path, it times the same requests in-process against both apps and prints p50 and
p95 in milliseconds with the city/demo ratio:

    python bench/city_bench.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
    python bench/city_bench.py --postgres … --people 20000 --transfers 200000   # smaller city

The bulk transfers carry placeholder hashes: `flask points verify` fails on the city database
by design (this bench times reads, not the chain). Both databases are dropped at the end
unless --keep is given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from itertools import islice
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import TestConfig
from points.app import create_app
from points.db import get_db, make_engine, normalise_url, session, transaction
from points.migrate import upgrade

PASSWORD = "demo12345"
EXPORT_FIRST = 50  # rows in a streamed export's first chunk (points.ledger.export.FIRST)
RESIDENT, STAFF, SUPERVISOR = "13900000003", "13900000001", "13900000005"


def paths() -> list[tuple[str, str, str]]:
    """(label, caller, path): API paths with a bearer token, pages with a login."""
    return [
        ("GET /api/v1/tasks", "resident", "api:/api/v1/tasks"),
        ("/board", "resident", "page:/board"),
        ("statement CSV (API)", "resident", "api:/api/v1/me/statement?kind=xingan&format=csv"),
        ("statement CSV (page)", "resident", "page:/points/statement.csv?kind=xingan"),
        ("GET /api/v1/awards/queue", "staff", "api:/api/v1/awards/queue"),
        ("/approvals", "staff", "page:/approvals"),
        ("GET /api/v1/me/statement", "resident", "api:/api/v1/me/statement?kind=xingan"),
        ("GET /api/v1/ledger/transfers", "supervisor", "api:/api/v1/ledger/transfers"),
        ("/ledger", "supervisor", "page:/ledger"),
        ("GET /api/v1/people?q=赵", "staff", "api:/api/v1/people?q=赵"),
        ("GET /api/v1/audit", "staff", "api:/api/v1/audit"),
        ("/audit", "staff", "page:/audit"),
        ("/staff", "staff", "page:/staff"),
        ("/points", "resident", "page:/points"),
        ("GET /api/v1/me/balances", "resident", "api:/api/v1/me/balances"),
        ("/people", "staff", "page:/people"),
    ]


# --- databases ------------------------------------------------------------------------------


def create_database(server: str, name: str) -> str:
    admin = sa.create_engine(sa.make_url(normalise_url(server)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        run(conn, f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)


def drop_database(server: str, name: str) -> None:
    admin = sa.create_engine(sa.make_url(normalise_url(server)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        run(conn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def make_app(url: str):
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(DATABASE_URL=url, TESTING=False, PROPAGATE_EXCEPTIONS=True, LOG_JSON=False)
    return create_app(config)


def load_demo(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    upgrade(engine)
    engine.dispose()
    result = app.test_cli_runner().invoke(args=["points", "demo"])
    assert result.exit_code == 0, result.output


# --- growing the city -----------------------------------------------------------------------


def run(conn, statement: str, params=None):
    """A statement for the driver; `%` is an operator in statements without parameters."""
    if params is None:
        statement = statement.replace("%", "%%")
    return conn.exec_driver_sql(statement, params if params is not None else ())


def timed(label: str):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            print(f"  {label} …", end="", flush=True)

        def __exit__(self, *exc):
            print(f" {time.perf_counter() - self.start:.1f} s", flush=True)

    return Timer()


def add_communities(app, count: int) -> None:
    from points.org import operations
    from points.org.models import OrgNode

    with app.app_context(), transaction():
        street = session().scalars(sa.select(OrgNode).where(OrgNode.level == "street")).first()
        for n in range(count):
            operations.create_node(actor=None, parent_id=street.id, level="community", name=f"城区社区{n}")


def grow(app, args) -> None:
    add_communities(app, args.communities)
    engine = get_db_engine(app)
    with engine.begin() as conn:
        communities = (
            run(conn, "SELECT id FROM org_nodes WHERE level = 'community' ORDER BY id").scalars().all()
        )
        with timed(f"{args.people:,} people and their accounts"):
            accounts = grow_people(conn, communities, args.people)
        with timed(f"{args.tasks:,} tasks and {args.tasks * 10:,} claims"):
            grow_board(conn, communities, args.tasks)
        with timed(f"{args.audit:,} audit entries"):
            grow_audit(conn, communities, args.audit)
    with timed(f"{args.transfers:,} transfers"):
        grow_ledger(engine, communities, args.transfers, args.statement, accounts)
    # What autovacuum does after a few years of appends: statistics, and the visibility map that
    # lets a read answer from an index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, timed("VACUUM ANALYZE"):
        run(conn, "VACUUM ANALYZE")


def get_db_engine(app):
    with app.app_context():
        return get_db().engine


SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def grow_people(conn, communities: list[int], count: int) -> tuple[int, int]:
    """People spread over the communities, each with a 兴安分 account: the accounts' id range."""
    names = "ARRAY[" + ",".join(f"'{s}'" for s in SURNAMES) + "]"
    run(
        conn,
        "INSERT INTO people (phone, name, password_hash, community_id, grid_id, is_party_member, work_unit_id,"
        " is_suspended, must_change_password, created_at)"
        f" SELECT '150' || lpad(g::text, 8, '0'), ({names})[1 + g % {len(SURNAMES)}] || '某' || g, NULL,"
        f" (ARRAY{communities})[1 + g % {len(communities)}], NULL, g % 5 = 0, NULL, false, false, now()"
        f" FROM generate_series(1, {count}) g",
    )
    before = run(conn, "SELECT coalesce(max(id), 0) FROM ledger_accounts").scalar_one()
    run(
        conn,
        "INSERT INTO ledger_accounts (kind, owner_type, owner_id, allow_negative, posted, pending_in, pending_out,"
        " created_at) SELECT 'xingan', 'person', p.id, false, 0, 0, 0, now() FROM people p"
        " WHERE p.phone LIKE '150%' ORDER BY p.id",
    )
    after = run(conn, "SELECT max(id) FROM ledger_accounts").scalar_one()
    run(
        conn,
        "INSERT INTO ledger_accounts (kind, owner_type, owner_id, allow_negative, posted, pending_in, pending_out,"
        f" created_at) SELECT 'xingan', 'pool', c, true, 0, 0, 0, now() FROM unnest(ARRAY{communities}) c"
        " ON CONFLICT DO NOTHING",
    )
    return before + 1, after


def _copy(conn, table: str, template_id: int, overrides: dict[str, str], series: str) -> None:
    """Rows copied from one template row, some columns given as SQL over the series `g`."""
    columns = [
        c
        for c in run(
            conn,
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
            (table,),
        ).scalars()
        if c != "id"
    ]
    values = ", ".join(overrides.get(c, f"t.{c}") for c in columns)
    run(
        conn,
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} FROM {table} t, {series} WHERE t.id = {template_id}",
    )


def grow_board(conn, communities: list[int], count: int) -> None:
    template = run(conn, "SELECT id FROM tasks WHERE state = 'posted' ORDER BY id LIMIT 1").scalar_one()
    first_new = run(conn, "SELECT max(id) FROM tasks").scalar_one() + 1
    shift = "((g % 2000) - 1000) * interval '1 hour'"
    _copy(
        conn,
        "tasks",
        template,
        {
            "community_id": f"(ARRAY{communities})[1 + g % {len(communities)}]",
            "title": "'城区任务' || g",
            "state": "(ARRAY['posted','closed','done','done'])[1 + g % 4]",
            "starts_at": f"t.starts_at + {shift}",
            "ends_at": f"t.ends_at + {shift}",
            "claim_deadline": f"t.claim_deadline + {shift}",
            "demand_id": "NULL",
        },
        f"generate_series(1, {count}) g",
    )
    claim = run(conn, "SELECT id FROM claims WHERE claimant_type = 'person' ORDER BY id LIMIT 1").scalar()
    if claim is None:
        return
    people = run(conn, "SELECT min(id), count(*) FROM people").one()
    _copy(
        conn,
        "claims",
        claim,
        {
            "task_id": f"{first_new} + g / 10",
            "person_id": f"{people[0]} + (g * 13) % {people[1]}",
            "transfer_id": "NULL" if _has_column(conn, "claims", "transfer_id") else "t.transfer_id",
        },
        f"generate_series(0, {count * 10 - 1}) g",
    )


def _has_column(conn, table: str, column: str) -> bool:
    return bool(
        run(
            conn,
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            (table, column),
        ).first()
    )


def grow_audit(conn, communities: list[int], count: int) -> None:
    people = run(conn, "SELECT min(id), count(*) FROM people").one()
    run(
        conn,
        "INSERT INTO audit_entries (at, actor_id, action, target_type, target_id, node_id, unit_id, detail, address)"
        f" SELECT now() - g * interval '1 minute', {people[0]} + (g * 7) % {people[1]}, 'person.created', 'person',"
        f" {people[0]} + (g * 11) % {people[1]}, (ARRAY{communities})[1 + g % {len(communities)}], NULL, '{{}}', ''"
        f" FROM generate_series(1, {count}) g",
    )


TRANSFER = (
    "community_id, seq, kind, debit_account_id, credit_account_id, amount, status, reason, proof, pending_id,"
    " memo, evidence, idempotency_key, created_at, prev_hash, hash"
)


def grow_ledger(
    engine, communities: list[int], total: int, statement_rows: int, accounts: tuple[int, int]
) -> None:
    """Per community: awards to the new people's accounts, posted, and every 20th row a pending
    award (19 of 20 approved); then a long statement for the demo resident."""
    each = max(1, total // len(communities))
    lo, hi = accounts
    for community in communities:
        with engine.begin() as conn:
            _community_transfers(conn, community, each, f"{lo} + (g * 7919) % {hi - lo + 1}")
    with engine.begin() as conn:
        resident = run(
            conn,
            "SELECT a.id, p.community_id FROM people p JOIN ledger_accounts a"
            " ON a.owner_type = 'person' AND a.owner_id = p.id AND a.kind = 'xingan' WHERE p.phone = %s",
            (RESIDENT,),
        ).one()
        _community_transfers(conn, resident[1], statement_rows, str(resident[0]))


def _community_transfers(conn, community: int, count: int, credit_sql: str) -> None:
    seq = run(conn, "SELECT seq FROM ledger_chain_heads WHERE community_id = %s", (community,)).scalar()
    if seq is None:
        run(
            conn,
            "INSERT INTO ledger_chain_heads (community_id, seq, head_hash, has_budget) VALUES (%s, 0, %s, false)",
            (community, "0" * 64),
        )
        seq = 0
    pool = run(
        conn,
        "SELECT id FROM ledger_accounts WHERE owner_type = 'pool' AND owner_id = %s AND kind = 'xingan'",
        (community,),
    ).scalar_one()
    pending = "g % 20 = 0"
    run(
        conn,
        f"INSERT INTO ledger_transfers ({TRANSFER}) SELECT {community}, {seq} + g, 'xingan', {pool}, {credit_sql},"
        f" 1 + g % 20, CASE WHEN {pending} THEN 'pending' ELSE 'posted' END,"
        f" CASE WHEN {pending} THEN 'manual_award' ELSE 'checkin_award' END,"
        f" CASE WHEN {pending} THEN 'discretion' ELSE 'checkin' END, NULL, '', '',"
        f" 'bench:{community}:' || ({seq} + g), now() - ({count} - g) * interval '1 minute',"
        " md5(g::text) || md5(g::text), md5((g + 1)::text) || md5((g + 1)::text)"
        f" FROM generate_series(1, {count}) g",
    )
    seq = run(conn, "SELECT max(seq) FROM ledger_transfers WHERE community_id = %s", (community,)).scalar()
    run(
        conn,
        f"INSERT INTO ledger_transfers ({TRANSFER}) SELECT p.community_id,"
        f" {seq} + row_number() OVER (ORDER BY p.id), p.kind, p.debit_account_id, p.credit_account_id, p.amount,"
        " 'post', p.reason, p.proof, p.id, '', '', 'bench:post:' || p.id, p.created_at + interval '1 hour',"
        " p.hash, p.prev_hash FROM ledger_transfers p"
        f" WHERE p.community_id = {community} AND p.status = 'pending' AND p.id % 20 <> 0"
        " AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = p.id)",
    )
    run(
        conn,
        "UPDATE ledger_chain_heads SET seq = (SELECT max(seq) FROM ledger_transfers WHERE community_id = %s)"
        " WHERE community_id = %s",
        (community, community),
    )


# --- timing ---------------------------------------------------------------------------------


class Callers:
    """An API token and a page login for each caller of one app."""

    def __init__(self, app):
        from points.auth.operations import issue_token
        from points.people.models import Person

        self.app = app
        self.tokens, self.pages = {}, {}
        with app.app_context(), transaction():
            for key, phone in (("resident", RESIDENT), ("staff", STAFF), ("supervisor", SUPERVISOR)):
                person = session().scalars(sa.select(Person).where(Person.phone == phone)).one()
                self.tokens[key], _ = issue_token(person=person)
        for key, phone in (("resident", RESIDENT), ("staff", STAFF), ("supervisor", SUPERVISOR)):
            client = app.test_client()
            answer = client.post("/login", data={"phone": phone, "password": PASSWORD})
            assert answer.status_code == 302, answer.status_code
            self.pages[key] = client

    def get(self, caller: str, target: str, *, first_rows: bool = False) -> int:
        """Request `target` as `caller`; the body's size. A streamed export is read to its end,
        or with `first_rows` only until its first chunk of rows (after the header) has come."""
        kind, path = target.split(":", 1)
        if kind == "api":
            client = self.app.test_client()
            answer = client.get(
                path, headers={"Authorization": f"Bearer {self.tokens[caller]}"}, buffered=not first_rows
            )
        else:
            answer = self.pages[caller].get(path, buffered=not first_rows)
        if first_rows:
            try:
                body = b"".join(islice(answer.response, 2))
            finally:
                answer.close()
        else:
            body = answer.get_data()
        assert answer.status_code == 200, (target, answer.status_code, body[:300])
        return len(body)


def measure(
    callers: Callers, caller: str, target: str, runs: int, *, first_rows: bool = False
) -> tuple[float, float]:
    for _ in range(3):
        callers.get(caller, target, first_rows=first_rows)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        callers.get(caller, target, first_rows=first_rows)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def report(demo: Callers, city: Callers, runs: int, only: str = "") -> None:
    print(
        "\n| path (caller) | demo p50 | demo p95 | city p50 | city p95 | p50 ratio |\n|---|---:|---:|---:|---:|---:|"
    )
    for label, caller, target in paths():
        if only not in label:
            continue
        d50, d95 = measure(demo, caller, target, runs)
        c50, c95 = measure(city, caller, target, runs)
        print(
            f"| {label} ({caller}) | {d50:.1f} | {d95:.1f} | {c50:.1f} | {c95:.1f} | {c50 / d50:.2f}× |",
            flush=True,
        )
        if "CSV" in label:
            # A whole export grows with the rows it holds (the city resident's statement has
            # thousands, the demo's a handful); what must stay flat is how soon its rows start:
            # the time until the first chunk (the first EXPORT_FIRST rows, or all of fewer).
            d50, d95 = measure(demo, caller, target, runs, first_rows=True)
            c50, c95 = measure(city, caller, target, runs, first_rows=True)
            print(
                f"| {label}, first {EXPORT_FIRST} rows ({caller}) | {d50:.1f} | {d95:.1f} | {c50:.1f} | {c95:.1f}"
                f" | {c50 / d50:.2f}× |",
                flush=True,
            )


def counts(app) -> str:
    with app.app_context():
        conn = session().connection()
        parts = []
        for table in ("people", "ledger_transfers", "tasks", "claims", "audit_entries"):
            parts.append(f"{table} {run(conn, f'SELECT count(*) FROM {table}').scalar_one():,}")
        return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--statement", type=int, default=20_000, help="rows of the demo resident's statement")
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--audit", type=int, default=500_000)
    parser.add_argument("--communities", type=int, default=40, help="communities added to the demo's")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per path and database")
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    parser.add_argument("--only", default="", help="time only the paths whose label contains this")
    parser.add_argument(
        "--reuse",
        default="",
        help="time the databases a --keep run left (its tag, e.g. 1a2b3c4d) instead of building new ones",
    )
    args = parser.parse_args()
    tag = args.reuse or uuid.uuid4().hex[:8]
    names = {"demo": f"bench_demo_{tag}", "city": f"bench_city_{tag}"}
    if args.reuse:
        args.keep = True
        base = sa.make_url(normalise_url(args.postgres))
        urls = {
            key: base.set(database=name).render_as_string(hide_password=False) for key, name in names.items()
        }
    else:
        urls = {key: create_database(args.postgres, name) for key, name in names.items()}
    try:
        apps = {key: make_app(url) for key, url in urls.items()}
        if args.reuse:
            for app in apps.values():
                # Migrations added since the databases were built (new indexes) apply first.
                engine = make_engine(app.config["DATABASE_URL"])
                upgrade(engine)
                engine.dispose()
        else:
            for key, app in apps.items():
                with timed(f"{key}: schema and demo"):
                    load_demo(app)
            started = time.perf_counter()
            grow(apps["city"], args)
            print(f"city grown in {time.perf_counter() - started:.0f} s: {counts(apps['city'])}")
        print(f"city: {counts(apps['city'])}")
        print(f"demo: {counts(apps['demo'])}")
        report(Callers(apps["demo"]), Callers(apps["city"]), args.runs, args.only)
    finally:
        if not args.keep:
            for name in names.values():
                drop_database(args.postgres, name)
        else:
            print("kept:", ", ".join(urls.values()))


if __name__ == "__main__":
    main()
