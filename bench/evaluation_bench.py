"""Evaluation benchmarks: a yearly ranking against the bare SQL aggregate over the same rows, and
the annual settlement's expiry against single postings.

Runs against a throwaway database it creates and drops:

    python bench/evaluation_bench.py                                   # SQLite, 100k people, 1M transfers
    python bench/evaluation_bench.py --people 20000 --transfers 200000 # smaller, quicker
    python bench/evaluation_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

Targets (TARGETS): the ranking costs at most 2x the bare aggregate; the settlement's expiry runs
at least 10x the single-posting rate. Ratios are printed in one run, since absolute numbers move
between runs on shared machines while ratios move much less. Each timing is the median of three.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_bench
import sqlalchemy as sa
from ledger_bench import arguments, throwaway

from points.db import session

BATCH = 2000
IN_YEAR = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def setup(app, people: int) -> tuple[int, list[int]]:
    """One community and `people` residents, written in bulk (the bench needs rows, not the
    people domain's checks)."""
    from points.org import operations as org
    from points.people.models import Person

    with app.app_context():
        city = org.create_node(actor=None, parent_id=None, level="city", name="市")
        district = org.create_node(actor=None, parent_id=city.id, level="district", name="区")
        street = org.create_node(actor=None, parent_id=district.id, level="street", name="街道")
        community = org.create_node(actor=None, parent_id=street.id, level="community", name="社区")
        now = datetime.now(UTC)
        for start in range(0, people, 10_000):
            session().execute(
                sa.insert(Person),
                [
                    {
                        "phone": f"1{i:010d}",
                        "name": f"居民{i}",
                        "community_id": community.id,
                        "created_at": now,
                    }
                    for i in range(start, min(people, start + 10_000))
                ],
            )
        session().commit()
        ids = list(session().execute(sa.select(Person.id).order_by(Person.id)).scalars())
        return community.id, ids


def fill(app, community_id: int, people: list[int], total: int) -> None:
    """Append `total` posted awards of 1 to 7 points through the ledger's own posting path, in
    large batches, then gather the statistics."""
    ledger_bench.fill(app, community_id, people, total, amount=lambda i: 1 + i % 7, now=IN_YEAR)
    with app.app_context():
        # Fresh statistics, as autovacuum would gather after such a load: without them the
        # PostgreSQL planner takes the million new rows for a handful and loops over them.
        session().connection().exec_driver_sql("ANALYZE")
        session().commit()


def median_seconds(run, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_ranking(app) -> tuple[float, float, int]:
    """(ranking seconds, bare aggregate seconds, rows ranked) for the year, every row fetched."""
    from points.evaluation.queries import period_span, person_ranking_stmt
    from points.ledger.models import Transfer

    t = Transfer.__table__
    with app.app_context():
        start, end, _ = period_span("year", "2026")
        ranking = person_ranking_stmt(kind="xingan", start=start, end=end)
        bare = (
            sa.select(t.c.credit_account_id, sa.func.sum(t.c.amount))
            .where(t.c.kind == "xingan", t.c.created_at >= start, t.c.created_at < end)
            .group_by(t.c.credit_account_id)
        )
        rows = len(session().execute(ranking).all())
        ranked = median_seconds(lambda: session().execute(ranking).all())
        aggregate = median_seconds(lambda: session().execute(bare).all())
        session().rollback()
        return ranked, aggregate, rows


def bench_single_expiry(app, community_id: int, people: list[int], n: int) -> float:
    """Expiries per second posted one at a time, each in its own transaction."""
    from points.ledger.spending import spend

    with app.app_context():
        start = time.perf_counter()
        for person_id in people[:n]:
            spend(
                community_id=community_id,
                payer_type="person",
                payer_id=person_id,
                kind="xingan",
                amount=1,
                reason="expiry",
                idempotency_key=f"single-expiry:{uuid.uuid4().hex}",
            )
            session().commit()
        return n / (time.perf_counter() - start)


def bench_settlement(app) -> tuple[float, int]:
    """Accounts per second the annual settlement expires (the whole run, ratings included)."""
    from points.evaluation.operations import settle_year

    with app.app_context():
        app.config["EVALUATION_EXPIRING_KINDS"] = "xingan"
        app.config["EVALUATION_SETTLEMENT_BATCH"] = BATCH
        start = time.perf_counter()
        result = settle_year(year=2026)
        session().commit()
        return result["expired"] / (time.perf_counter() - start), result["expired"]


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=300, help="single postings to time")
    args = parser.parse_args()
    with throwaway(args.postgres) as (url, folder):
        engine, app = ledger_bench.migrated_app(url, instance_path=folder)
        engine.dispose()
        community_id, people = setup(app, args.people)
        fill(app, community_id, people, args.transfers)
        ranked, aggregate, rows = bench_ranking(app)
        single = bench_single_expiry(app, community_id, people, args.single)
        settled, accounts = bench_settlement(app)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{database}: {args.people:,} people, {args.transfers:,} transfers")
    print(f"{'yearly ranking (every row, RANK)':<42} {ranked * 1000:>9.0f} ms  {rows:,} people")
    print(f"{'bare SUM ... GROUP BY over the same rows':<42} {aggregate * 1000:>9.0f} ms")
    print(f"{'ranking / bare aggregate':<42} {ranked / aggregate:>9.2f}x  (target <= 2x)")
    print(f"{'expiry, one posting per transaction':<42} {single:>9.0f} /s")
    print(f"{'annual settlement expiry, in batches':<42} {settled:>9.0f} /s  {accounts:,} accounts")
    print(f"{'settlement / single posting':<42} {settled / single:>9.1f}x  (target >= 10x)")


if __name__ == "__main__":
    main()
