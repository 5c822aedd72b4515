"""Anomaly run: the nightly detectors over ~1M transfers and ~200k check-ins, against one bare
aggregate over the same rows, in the same run (target: detectors ≤ 5× the bare aggregate).

Makes a throwaway database: ten communities, PEOPLE residents, TRANSFERS award transfers spread
over half a year (appended through the ledger's own posting path, in batches; one in ten a
discretionary award with its requester and approver), CHECKINS closed stays at activities of the
same half year (inserted in bulk: they are the data, not the measure) and a few thousand staff
changes to accounts. The detectors' window is set to the whole half year, so they read every
row, as the bare aggregate does. Then, in alternating rounds:

- bare: `SELECT credit_account_id, sum(amount) FROM ledger_transfers GROUP BY 1` and
  `SELECT person_id, count(*) FROM checkins GROUP BY 1`, fetched whole;
- nightly: `run_detectors` for the last day (every detector, flags recorded, rolled back).

    python bench/supervision_bench.py                      # SQLite in a temporary folder
    python bench/supervision_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test
    python bench/supervision_bench.py --postgres URL --keep        # leaves the filled database
    python bench/supervision_bench.py --reuse URL_OF_THAT_DATABASE  # measures it again, no fill

A kept database is named on the last line; `--reuse` runs the (migrated) code against it as it
is, so a new migration is applied to it first.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.ledger_bench import throwaway_database
from config import TestConfig
from points.app import create_app
from points.db import LOCAL_TZ, make_engine, session
from points.migrate import upgrade

END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # the last day of the data, 2026-11-25 00:00 local
SPAN_DAYS = 182


def _world(app, people: int) -> dict:
    """Ten communities with a station each, and `people` residents (bulk-inserted)."""
    from points.org import operations as org

    with app.app_context():
        parent = None
        for level, name in (("city", "市"), ("district", "区"), ("street", "街道")):
            parent = org.create_node(
                actor=None, parent_id=parent.id if parent else None, level=level, name=name
            )
        communities = [
            org.create_node(actor=None, parent_id=parent.id, level="community", name=f"社区{i}")
            for i in range(10)
        ]
        stations = [
            org.create_station(actor=None, node_id=c.id, kind="station", name=f"服务站{i}")
            for i, c in enumerate(communities)
        ]
        conn = session().connection()
        created = END - timedelta(days=SPAN_DAYS + 30)
        conn.execute(
            sa.text(
                "INSERT INTO people (phone, name, community_id, is_party_member, is_suspended, "
                "must_change_password, created_at) VALUES (:phone, :name, :community_id, false, false, false, :at)"
            ),
            [
                {
                    "phone": f"13{i:09d}",
                    "name": f"居民{i}",
                    "community_id": communities[i % 10].id,
                    "at": created,
                }
                for i in range(people)
            ],
        )
        ids = list(session().scalars(sa.text("SELECT id FROM people ORDER BY id")))
        session().commit()
        return {
            "communities": [c.id for c in communities],
            "stations": [s.id for s in stations],
            "people": ids,
        }


def _transfers(app, world: dict, total: int, batch: int = 5000) -> None:
    """`total` posted awards through the ledger's posting path, spread over the half year."""
    from points.ledger import operations as ops

    rng = random.Random(1)
    people, staff = world["people"], world["people"][:40]
    with app.app_context():
        accounts = {}
        for community in world["communities"]:
            accounts[("pool", community)] = ops.account_ids([("pool", community)], "xingan")[
                ("pool", community)
            ]
        for start in range(0, len(people), 400):
            chunk = [("person", p) for p in people[start : start + 400]]
            accounts.update(ops.account_ids(chunk, "xingan"))
        session().commit()
        batches = -(-total // batch)
        for b in range(batches):
            community = world["communities"][b % 10]
            when = END - timedelta(days=SPAN_DAYS) + timedelta(days=SPAN_DAYS * b / batches)
            legs = []
            for _ in range(min(batch, total - b * batch)):
                person = people[rng.randrange(len(people))]
                manual = rng.random() < 0.1
                legs.append(
                    ops.Leg(
                        kind="xingan",
                        debit_account_id=accounts[("pool", community)],
                        credit_account_id=accounts[("person", person)],
                        amount=rng.randint(5, 30) if not manual else rng.randint(10, 50),
                        status="posted",
                        reason="manual_award" if manual else "checkin_award",
                        proof="discretion" if manual else "checkin",
                        requested_by_id=rng.choice(staff) if manual else None,
                        approved_by_id=rng.choice(staff) if manual else None,
                        idempotency_key=f"fill:{uuid.uuid4().hex}",
                    )
                )
            ops._append(community, legs, now=when)
            session().commit()
            print(f"\r  transfers {min((b + 1) * batch, total)}/{total}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)


def _checkins(app, world: dict, total: int, activities: int = 2000) -> None:
    """`total` closed stays at `activities` activities over the half year, and account changes."""
    rng = random.Random(2)
    people, staff = world["people"], world["people"][:40]
    with app.app_context():
        conn = session().connection()
        rows = []
        for i in range(activities):
            start = END - timedelta(days=SPAN_DAYS) + timedelta(days=SPAN_DAYS * i / activities)
            rows.append(
                {
                    "station_id": world["stations"][i % 10],
                    "community_id": world["communities"][i % 10],
                    "title": f"值班{i}",
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=4),
                    "rate": 10,
                    "created_by_id": staff[i % len(staff)],
                }
            )
        conn.execute(
            sa.text(
                "INSERT INTO activities (station_id, community_id, title, starts_at, ends_at, hourly_rate, state, "
                "created_by_id, auto_posted_points, created_at) VALUES (:station_id, :community_id, :title, "
                ":starts_at, :ends_at, :rate, 'active', :created_by_id, 0, :starts_at)"
            ),
            [
                {**r, "starts_at": _db_time(conn, r["starts_at"]), "ends_at": _db_time(conn, r["ends_at"])}
                for r in rows
            ],
        )
        ids = list(session().scalars(sa.text("SELECT id, starts_at FROM activities ORDER BY id")))
        stays = []
        for n in range(total):
            a = rng.randrange(activities)
            person = people[rng.randrange(len(people))]
            start = rows[a]["starts_at"] + timedelta(minutes=rng.randint(0, 120), seconds=rng.randint(0, 59))
            stays.append(
                {
                    "activity_id": ids[a],
                    "person_id": person,
                    "in": _db_time(conn, start),
                    "out": _db_time(conn, start + timedelta(minutes=60)),
                    "device": f"{person:064d}",
                }
            )
            if len(stays) == 20000 or n == total - 1:
                conn.execute(
                    sa.text(
                        "INSERT INTO checkins (activity_id, person_id, checked_in_at, checked_out_at, unattended, "
                        "closed_by_job, minutes, kind, points, is_capped, updated_at, device_hash, user_agent) "
                        "VALUES (:activity_id, :person_id, :in, :out, false, false, 60, 'xingan', 10, false, :out, "
                        ":device, 'MicroMessenger')"
                    ),
                    stays,
                )
                stays = []
                print(f"\r  check-ins {n + 1}/{total}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        conn.execute(
            sa.text(
                "INSERT INTO account_changes (person_id, changed_by_id, change, created_at) "
                "VALUES (:person, :staff, 'created', :at)"
            ),
            [
                {
                    "person": people[rng.randrange(len(people))],
                    "staff": staff[i % len(staff)],
                    "at": _db_time(conn, END - timedelta(days=rng.randint(0, SPAN_DAYS))),
                }
                for i in range(5000)
            ],
        )
        session().commit()


def _db_time(conn, moment: datetime):
    return moment.replace(tzinfo=None) if conn.dialect.name == "sqlite" else moment


def _bare(app) -> float:
    with app.app_context():
        conn = session().connection()
        start = time.perf_counter()
        conn.execute(sa.text("SELECT credit_account_id, sum(amount) FROM ledger_transfers GROUP BY 1")).all()
        conn.execute(sa.text("SELECT person_id, count(*) FROM checkins GROUP BY 1")).all()
        seconds = time.perf_counter() - start
        session().rollback()
        return seconds


def _nightly(app) -> tuple[float, dict, dict]:
    """The nightly run's detectors and recording, timed whole and per detector."""
    from points.supervision.detectors import DETECTORS
    from points.supervision.operations import record_flags, window_for

    with app.app_context():
        window = window_for(END.astimezone(LOCAL_TZ).strftime("%Y-%m-%d"))
        counts, each = {}, {}
        start = time.perf_counter()
        for detector in DETECTORS:
            began = time.perf_counter()
            found = detector(window)
            record_flags(found, window=window, now=END)
            each[detector.__name__] = time.perf_counter() - began
            counts[detector.__name__] = len(found)
        session().flush()
        seconds = time.perf_counter() - start
        session().rollback()
        return seconds, counts, each


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", help="PostgreSQL server URL (a throwaway database is made on it)")
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--checkins", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the filled database for --reuse")
    parser.add_argument("--reuse", help="a database filled by an earlier --keep run: measure only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        if args.reuse:
            url, drop = args.reuse, lambda: None
        else:
            url, drop = throwaway_database(args.postgres, Path(tempfile.mkdtemp() if args.keep else folder))
        if args.keep:
            drop = lambda: print(f"  kept: {url}")  # noqa: E731
        try:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            app = create_app(
                {
                    **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                    "DATABASE_URL": url,
                    "SUPERVISION_WINDOW_DAYS": SPAN_DAYS,
                    "INDEPENDENCE_DAYS": 90,
                }
            )
            if not args.reuse:
                world = _world(app, args.people)
                _transfers(app, world, args.transfers)
                _checkins(app, world, args.checkins)
            with app.app_context():
                conn = session().connection()
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("ANALYZE")
                else:
                    conn.exec_driver_sql("ANALYZE")
                session().commit()
            bare, nightly, counts, each = [], [], {}, {}
            for _ in range(args.rounds):
                bare.append(_bare(app))
                seconds, counts, each = _nightly(app)
                nightly.append(seconds)
            b, n = statistics.median(bare), statistics.median(nightly)
            dialect = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
            print(
                f"\nAnomaly run on {dialect}: {args.transfers:,} transfers, {args.checkins:,} check-ins, "
                f"{args.people:,} people, {args.rounds} alternating rounds (medians)"
            )
            print(f"  {'bare aggregate (transfers by account + check-ins by person)':62} {b:8.2f} s")
            print(f"  {'nightly run (every detector, flags recorded)':62} {n:8.2f} s")
            print(f"  {'ratio (target ≤ 5×)':62} {n / b:8.2f}×")
            print("  flags found: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
            print("  last round per detector: " + ", ".join(f"{k} {v:.2f} s" for k, v in each.items()))
        finally:
            drop()


if __name__ == "__main__":
    main()
