"""Ledger benchmarks: posting rate against django-hordak, communities in parallel, bulk
approval, balance reads, verification.

Runs against throwaway databases it creates and drops:

    python bench/ledger_bench.py                      # SQLite in a temporary folder
    pip install -r bench/requirements.txt             # the django-hordak peer (PostgreSQL only)
    python bench/ledger_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

Figures are printed as a table with the peers and limits measured in the same run (raw
INSERT+COMMIT, a hand-written posting in plain SQL, django-hordak 2.0's `transfer_to`),
because absolute numbers move 20–30% between runs on these machines while ratios move much
less. The ledger and hordak post in alternating rounds, so a drifting machine treats both
alike; the table shows each one's median round.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa

from config import TestConfig
from points.app import create_app
from points.db import make_engine, normalise_url, session
from points.ledger.chain import row_hash
from points.migrate import upgrade


def throwaway_database(server: str | None, folder: Path):
    if not server:
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    base = sa.make_url(normalise_url(server))
    name = f"points_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.set(database=name).render_as_string(hide_password=False), drop


@contextmanager
def throwaway(server: str | None) -> Iterator[tuple[str, str]]:
    """A throwaway database (on the PostgreSQL `server`, or SQLite) and a temporary folder:
    (its URL, the folder); the database is dropped and the folder removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        url, drop = throwaway_database(server, Path(folder))
        try:
            yield url, folder
        finally:
            drop()


def arguments(doc: str) -> argparse.ArgumentParser:
    """A benchmark's command line: its docstring as help, and the PostgreSQL server to use."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a throwaway database is made on it)")
    return parser


def migrated_app(url: str, instance_path: str | None = None):
    """The migrated engine and an app with the test settings on the database at `url`."""
    engine = make_engine(url)
    upgrade(engine)
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return engine, create_app({**settings, "DATABASE_URL": url}, instance_path=instance_path)


def checkin_award(community_id: int, person_id: int, amount: int, key: str) -> dict:
    """A check-in award from the community's pool to a person, posted at once (the ledger's
    everyday path)."""
    from points.ledger import operations as ops

    return ops.request_award(
        community_id=community_id,
        recipient_type="person",
        recipient_id=person_id,
        kind="xingan",
        amount=amount,
        reason="checkin_award",
        proof="checkin",
        idempotency_key=key,
        auto_post=True,
    )


def released_together(threads: list, barrier) -> float:
    """Start the threads, release them together at the barrier (they wait there too), and time
    them until the last one ends: seconds."""
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def bench_raw_insert(engine, n: int) -> float:
    with engine.begin() as conn:
        key = "INTEGER PRIMARY KEY" if engine.dialect.name == "sqlite" else "SERIAL PRIMARY KEY"
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS bench_raw (id {key}, v INTEGER)")
    start = time.perf_counter()
    with engine.connect() as conn:
        for i in range(n):
            with conn.begin():
                conn.exec_driver_sql(
                    "INSERT INTO bench_raw (v) VALUES (?)"
                    if engine.dialect.name == "sqlite"
                    else "INSERT INTO bench_raw (v) VALUES (%s)",
                    (i,),
                )
    return rate(n, time.perf_counter() - start)


def bench_plain_sql_posting(engine, community_id: int, debit: int, credit: int, n: int) -> float:
    """The reference: lock head, conditional debit, credit, insert with hash, move head, commit."""
    sqlite = engine.dialect.name == "sqlite"
    p = "?" if sqlite else "%s"
    lock = "" if sqlite else " FOR UPDATE"
    start = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for _ in range(n):
            if sqlite:
                cur.execute("BEGIN IMMEDIATE")
            cur.execute(
                f"SELECT seq, head_hash FROM ledger_chain_heads WHERE community_id = {p}{lock}",
                (community_id,),
            )
            seq, prev = cur.fetchone()
            cur.execute(
                f"UPDATE ledger_accounts SET posted = posted - 1 WHERE id = {p} "
                f"AND (allow_negative OR posted - pending_out >= 1)",
                (debit,),
            )
            cur.execute(f"UPDATE ledger_accounts SET posted = posted + 1 WHERE id = {p}", (credit,))
            now = datetime.now(UTC)
            row = {
                "community_id": community_id,
                "seq": seq + 1,
                "kind": "xingan",
                "debit_account_id": debit,
                "credit_account_id": credit,
                "amount": 1,
                "status": "posted",
                "reason": "checkin_award",
                "proof": None,
                "ref_type": None,
                "ref_id": None,
                "pending_id": None,
                "reverses_id": None,
                "memo": "",
                "evidence": "",
                "requested_by_id": None,
                "verified_by_id": None,
                "approved_by_id": None,
                "idempotency_key": f"ref:{uuid.uuid4().hex}",
                "created_at": now,
            }
            digest = row_hash(row, prev)
            cur.execute(
                "INSERT INTO ledger_transfers (community_id, seq, kind, debit_account_id, credit_account_id, "
                "amount, status, reason, memo, evidence, idempotency_key, created_at, prev_hash, hash) "
                f"VALUES ({p}, {p}, 'xingan', {p}, {p}, 1, 'posted', 'checkin_award', '', '', {p}, "
                f"{p}, {p}, {p})",
                (
                    community_id,
                    seq + 1,
                    debit,
                    credit,
                    row["idempotency_key"],
                    now.replace(tzinfo=None) if sqlite else now,
                    prev,
                    digest,
                ),
            )
            cur.execute(
                f"UPDATE ledger_chain_heads SET seq = {p}, head_hash = {p} WHERE community_id = {p}",
                (seq + 1, digest, community_id),
            )
            raw.commit()
    finally:
        raw.close()
    return rate(n, time.perf_counter() - start)


def bench_communities_in_parallel(app, communities: list[int], people: list[int], clients: int, n: int):
    """Postings per second from `clients` threads, all in one community, then spread over as many
    communities as clients: only a community's chain head is shared, so spreading should scale."""
    import threading

    def run(targets: list[int]) -> float:
        barrier = threading.Barrier(clients + 1)

        def client(community_id: int) -> None:
            with app.app_context():
                barrier.wait()
                for _ in range(n):
                    checkin_award(
                        community_id, people[community_id % len(people)], 1, f"par:{uuid.uuid4().hex}"
                    )
                    session().commit()

        threads = [threading.Thread(target=client, args=(target,)) for target in targets]
        return rate(clients * n, released_together(threads, barrier))

    one = run([communities[0]] * clients)
    spread = run(communities[:clients])
    return one, spread


def setup_world(app, communities_count: int = 8):
    from points.org import operations as org
    from points.people import operations as ppl

    with app.app_context():
        city = org.create_node(actor=None, parent_id=None, level="city", name="市")
        district = org.create_node(actor=None, parent_id=city.id, level="district", name="区")
        street = org.create_node(actor=None, parent_id=district.id, level="street", name="街道")
        communities = [
            org.create_node(actor=None, parent_id=street.id, level="community", name=f"社区{i}")
            for i in range(communities_count)
        ]
        approver = ppl.create_person(
            actor=None, phone="13500000001", name="审批", community_id=communities[0].id
        )
        ppl.grant_role(actor=None, person_id=approver.id, role="street_admin", node_id=street.id)
        people = [
            ppl.create_person(
                actor=None, phone=f"1360000{i:04d}", name=f"居民{i}", community_id=communities[0].id
            )
            for i in range(20)
        ]
        session().commit()
        return [c.id for c in communities], approver.id, [p.id for p in people]


def bench_posting(app, community_id: int, people: list[int], n: int) -> float:

    with app.app_context():
        start = time.perf_counter()
        for i in range(n):
            checkin_award(community_id, people[i % len(people)], 1, f"bench:{uuid.uuid4().hex}")
            session().commit()
        return rate(n, time.perf_counter() - start)


def bench_bulk_approve(app, community_id: int, approver_id: int, people: list[int], n: int) -> float:
    from points.auth.current import actor_for
    from points.ledger import operations as ops
    from points.people.queries import get_person

    with app.app_context():
        ids = []
        for start_at in range(0, n, 100):
            for i in range(start_at, min(n, start_at + 100)):
                ids.append(
                    ops.request_award(
                        community_id=community_id,
                        recipient_type="person",
                        recipient_id=people[i % len(people)],
                        kind="xingan",
                        amount=2,
                        reason="task_award",
                        proof="claim",
                        idempotency_key=f"bulk:{uuid.uuid4().hex}",
                    )["id"]
                )
            session().commit()
        actor = actor_for(get_person(approver_id))
        start = time.perf_counter()
        ops.bulk_approve(actor=actor, transfer_ids=ids)
        session().commit()
        return rate(n, time.perf_counter() - start)


def fill(
    app, community_id: int, people: list[int], total: int, batch: int = 5000, *, amount=None, now=None
) -> None:
    """Append `total` posted transfers in large batches (through the ledger's own path): the
    `i`-th pays `amount(i)` (1 unless told) to the next of `people` in turn, at `now`."""
    from points.ledger import operations as ops

    with app.app_context():
        ids = ops.account_ids([("pool", community_id)], "xingan")
        for start in range(0, len(people), 500):
            ids.update(ops.account_ids([("person", p) for p in people[start : start + 500]], "xingan"))
        session().commit()
        pool, done = ids[("pool", community_id)], 0
        while done < total:
            size = min(batch, total - done)
            legs = [
                ops.Leg(
                    kind="xingan",
                    debit_account_id=pool,
                    credit_account_id=ids[("person", people[(done + i) % len(people)])],
                    amount=amount(done + i) if amount else 1,
                    status="posted",
                    reason="checkin_award",
                    proof="checkin",
                    idempotency_key=f"fill:{uuid.uuid4().hex}",
                )
                for i in range(size)
            ]
            ops._append(community_id, legs, now=now)
            session().commit()
            done += size
            print(f"\r  filled {done}/{total}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)


def bench_balance_read(app, person_id: int, reads: int = 2000) -> float:
    """Median milliseconds of one balance read (by key, from cached totals)."""
    from points.ledger.queries import balances_of_person

    with app.app_context():
        # Warm up, then time reads inside one transaction: the query, not session set-up.
        for _ in range(200):
            balances_of_person(person_id)
        times = []
        for _ in range(reads):
            start = time.perf_counter()
            balances_of_person(person_id)
            times.append(time.perf_counter() - start)
        session().rollback()
        return statistics.median(times) * 1000


def bench_verify(app) -> tuple[float, float, int]:
    from points.ledger.chain import HASHED_FIELDS
    from points.ledger.models import Transfer
    from points.ledger.verify import verify_ledger

    t = Transfer.__table__
    with app.app_context():
        conn = session().connection()
        start = time.perf_counter()
        rows = 0
        result = conn.execute(
            sa.select(t.c.id, t.c.prev_hash, t.c.hash, *[t.c[f] for f in HASHED_FIELDS]),
            execution_options={"stream_results": True, "yield_per": 5000},
        )
        for row in result:
            hashlib.sha256(repr(tuple(row)).encode()).hexdigest()
            rows += 1
        bare = rate(rows, time.perf_counter() - start)
        start = time.perf_counter()
        outcome = verify_ledger()
        assert outcome.ok, outcome.problem
        return bare, rate(outcome.transfers, time.perf_counter() - start), rows


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--postings", type=int, default=2000)
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--big", type=int, default=1_000_000, help="transfers for the large balance-read run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of ledger and hordak")
    parser.add_argument("--clients", type=int, default=8, help="threads for the communities-in-parallel case")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url, drop = throwaway_database(args.postgres, Path(folder))
        drops = [drop]
        try:
            engine, app = migrated_app(url)
            communities, approver, people = setup_world(app)
            backend = engine.dialect.name
            rows = []

            raw = bench_raw_insert(engine, args.postings)
            rows.append(("raw INSERT one row + COMMIT", f"{raw:,.0f}/s", "1.00× raw"))

            with app.app_context():
                from points.ledger import posting

                ids = posting.account_ids([("pool", communities[2]), ("person", people[0])], "xingan")
                posting.lock_head(*posting.cursor(), communities[2])
                session().commit()
            plain = bench_plain_sql_posting(
                app.extensions["points_db"].engine,
                communities[2],
                ids[("pool", communities[2])],
                ids[("person", people[0])],
                args.postings,
            )
            rows.append(("reference posting in plain SQL", f"{plain:,.0f}/s", f"{plain / raw:.2f}× raw"))

            peer = None
            if backend == "postgresql":
                from hordak_peer import HordakPeer

                peer_url, drop_peer = throwaway_database(args.postgres, Path(folder))
                drops.append(drop_peer)
                peer = HordakPeer(peer_url)
            per_round = max(1, args.postings // args.rounds)
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(bench_posting(app, communities[0], people, per_round))
                if peer is not None:
                    theirs.append(peer.rate(per_round))
            posting = statistics.median(ours)
            rows.append(
                (
                    "ledger posting (request_award, auto-post)",
                    f"{posting:,.0f}/s",
                    f"{posting / raw:.2f}× raw, {posting / plain:.2f}× plain SQL",
                )
            )
            if peer is not None:
                hordak = statistics.median(theirs)
                peer.close()
                rows.append(("django-hordak 2.0 transfer_to", f"{hordak:,.0f}/s", f"{hordak / raw:.2f}× raw"))
                rows.append(("ledger ÷ hordak (target ≥ 2×)", "", f"{posting / hordak:.2f}×"))

            one, spread = bench_communities_in_parallel(
                app, communities, people, args.clients, max(20, args.postings // (4 * args.clients))
            )
            rows.append((f"{args.clients} clients posting in one community", f"{one:,.0f}/s", ""))
            rows.append(
                (
                    f"{args.clients} clients across {args.clients} communities",
                    f"{spread:,.0f}/s",
                    f"{spread / one:.2f}× one community (target ≥ 1.5×)",
                )
            )

            # One batch takes about a second: a load spike on a shared machine moves it a lot, so
            # the median of as many batches as posting rounds.
            bulk = statistics.median(
                bench_bulk_approve(app, communities[1], approver, people, args.bulk)
                for _ in range(args.rounds)
            )
            rows.append(
                (
                    f"bulk approve {args.bulk} awards, one transaction",
                    f"{bulk:,.0f}/s",
                    f"{bulk / posting:.1f}× single posting",
                )
            )

            small = bench_balance_read(app, people[1])
            fill(app, communities[0], people, args.big)
            large = bench_balance_read(app, people[1])
            rows.append((f"balance read, ~{args.postings:,} transfers", f"{small:.3f} ms", ""))
            rows.append(
                (
                    f"balance read, ~{args.big + args.postings:,} transfers",
                    f"{large:.3f} ms",
                    f"{large / small:.2f}× the small ledger",
                )
            )

            bare, verify, count = bench_verify(app)
            rows.append((f"bare row hash over {count:,} rows", f"{bare:,.0f} rows/s", ""))
            rows.append(
                ("verify (chains, balances, sums)", f"{verify:,.0f} rows/s", f"{verify / bare:.2f}× bare")
            )

            print(f"\nLedger benchmark on {backend}\n")
            width = max(len(r[0]) for r in rows)
            print(f"{'what':<{width}}  {'figure':>16}  ratio")
            for what, figure, ratio in rows:
                print(f"{what:<{width}}  {figure:>16}  {ratio}")
            engine.dispose()
            app.extensions["points_db"].engine.dispose()
        finally:
            for drop_one in drops:
                drop_one()


if __name__ == "__main__":
    main()
