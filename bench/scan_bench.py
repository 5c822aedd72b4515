"""Scan storm: many people checking in to one activity at once, through gunicorn.

Makes a throwaway database, one station with an activity running now and N people
with API tokens, starts gunicorn on a free local port, and then, from C client
threads with keep-alive connections:

1. asks a trivial JSON endpoint (`GET /api/v1/health`) max(2000, 4N) times, after a warm-up:
   what the server and this client manage at all;
2. has every person read their balances (`GET /api/v1/me/balances`): what any request
   with a bearer token costs (token, person and grants read, one transaction);
3. has every person scan the station's current code once (`POST /api/v1/scan`): the storm;
4. has every person scan again (a repeat within minutes, answered "already checked in").

It reports errors, duplicate check-ins (read back from the database) and requests per
second, the scans as a ratio of the trivial endpoint under the same load:

    python bench/scan_bench.py                      # SQLite in a temporary folder
    python bench/scan_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test

Rate limiting stays on, with the per-address limit raised: every simulated phone
comes from 127.0.0.1 here, where a real station's phones share one Wi-Fi address.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.ledger_bench import arguments, migrated_app, released_together, throwaway
from points.db import session, utcnow

ROOT = Path(__file__).resolve().parent.parent


def setup_world(app, people: int) -> dict:
    """A station, its staff member, an activity running now and `people` residents with tokens."""
    from points.auth.current import actor_for
    from points.auth.operations import issue_token
    from points.checkin import operations as checkin
    from points.org import operations as org
    from points.people import operations as ppl

    with app.app_context():
        parent = None
        for level, name in (("city", "市"), ("district", "区"), ("street", "街道"), ("community", "社区")):
            parent = org.create_node(
                actor=None, parent_id=parent.id if parent else None, level=level, name=name
            )
        station = org.create_station(actor=None, node_id=parent.id, kind="station", name="党群服务站")
        staff = ppl.create_person(actor=None, phone="13500000001", name="工作人员", community_id=parent.id)
        ppl.grant_role(actor=None, person_id=staff.id, role="staff", node_id=parent.id)
        now = utcnow()
        activity = checkin.create_activity(
            actor=actor_for(staff),
            station_id=station.id,
            title="值班",
            starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=3),
            hourly_rate=10,
            now=now,
        )
        bearers = []
        for i in range(people):
            person = ppl.create_person(
                actor=None, phone=f"136{i:08d}", name=f"居民{i}", community_id=parent.id
            )
            bearers.append(issue_token(person=person)[0])
        staff_bearer = issue_token(person=staff)[0]
        session().commit()
        return {"activity": activity.id, "staff": staff_bearer, "people": bearers}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "POINTS_ENV": "development",
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "CHECKIN_SCAN_RATE_LIMIT_ADDRESS": "1000000 per minute",
    }
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn") if (ROOT / ".venv").exists() else "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    # Workers import the whole app before they answer: on a loaded 2-core machine that alone
    # has taken over 30 s for four of them.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


class Client(threading.local):
    """One keep-alive connection per client thread."""

    def __init__(self, port: int):
        self.port = port
        self.connection = None

    def call(self, method: str, path: str, body: dict | None = None, bearer: str | None = None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                payload = response.read()
                return response.status, payload
            except (ConnectionError, http.client.HTTPException):
                # The server closed a kept-alive connection: open a new one once.
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")


def storm_arguments(parser) -> None:
    """A storm's options: its client threads, and the gunicorn server's workers and threads."""
    parser.add_argument("--concurrency", type=int, default=50, help="client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")


def stop_gunicorn(server: subprocess.Popen | None) -> None:
    """Stop the server started by `start_gunicorn` (if it was), killing it after 15 s."""
    if server is not None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()


def storm(client: Client, jobs: list, concurrency: int):
    """Run every job (a callable returning a label) from `concurrency` threads; labels and seconds."""
    results: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(jobs))
    barrier = threading.Barrier(concurrency + 1)

    def worker():
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            try:
                label = job()
            except Exception as exc:  # the benchmark counts every failure, whatever it is
                label = f"error:{type(exc).__name__}"
            with lock:
                results.append(label)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    return results, released_together(threads, barrier)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--people", type=int, default=500)
    storm_arguments(parser)
    args = parser.parse_args()

    with throwaway(args.postgres) as (url, _):
        server = None
        try:
            engine, app = migrated_app(url)
            print(f"setting up {args.people} people…", file=sys.stderr)
            world = setup_world(app, args.people)
            port = free_port()
            server = start_gunicorn(url, port, args.workers, args.threads)
            client = Client(port)

            def health():
                status, _ = client.call("GET", "/api/v1/health")
                return str(status)

            status, payload = client.call(
                "GET", f"/api/v1/activities/{world['activity']}/token", bearer=world["staff"]
            )
            if status != 200:
                raise RuntimeError(f"could not read the screen's code: {status} {payload[:200]!r}")
            code = {"token": json.loads(payload)["token"], "at": time.monotonic()}

            def current_code() -> str:
                # The screen's code rotates every 30 s; a phone scans what the screen shows.
                if time.monotonic() - code["at"] > 20:
                    _, body = client.call(
                        "GET", f"/api/v1/activities/{world['activity']}/token", bearer=world["staff"]
                    )
                    code.update(token=json.loads(body)["token"], at=time.monotonic())
                return code["token"]

            def scan(bearer: str):
                def run():
                    status, body = client.call("POST", "/api/v1/scan", {"token": current_code()}, bearer)
                    if status != 200:
                        return f"http {status}"
                    return json.loads(body)["outcome"]

                return run

            # Every worker opens its connections and warms its caches before anything is timed.
            storm(client, [health] * 400, args.concurrency)
            trivial, trivial_seconds = storm(client, [health] * max(2000, 4 * args.people), args.concurrency)

            def balances(bearer: str):
                def run():
                    status, _ = client.call("GET", "/api/v1/me/balances", bearer=bearer)
                    return str(status)

                return run

            read, read_seconds = storm(client, [balances(b) for b in world["people"]], args.concurrency)
            first, first_seconds = storm(client, [scan(b) for b in world["people"]], args.concurrency)
            again, again_seconds = storm(client, [scan(b) for b in world["people"]], args.concurrency)

            with app.app_context():
                from points.checkin.models import CheckIn

                rows = (
                    session()
                    .execute(
                        sa.select(CheckIn.person_id, sa.func.count())
                        .where(CheckIn.activity_id == world["activity"])
                        .group_by(CheckIn.person_id)
                    )
                    .all()
                )
            duplicates = sum(n - 1 for _, n in rows if n > 1)
            trivial_rate = len(trivial) / trivial_seconds
            first_rate = len(first) / first_seconds
            again_rate = len(again) / again_seconds

            def errors(labels, ok):
                return sum(n for label, n in Counter(labels).items() if label != ok)

            table = [
                ("what", "requests", "errors", "seconds", "req/s", "ratio"),
                (
                    "GET /api/v1/health (trivial)",
                    len(trivial),
                    errors(trivial, "200"),
                    f"{trivial_seconds:.2f}",
                    f"{trivial_rate:,.0f}",
                    "1.00×",
                ),
                (
                    "GET /api/v1/me/balances (bearer auth + 1 read)",
                    len(read),
                    errors(read, "200"),
                    f"{read_seconds:.2f}",
                    f"{len(read) / read_seconds:,.0f}",
                    f"{len(read) / read_seconds / trivial_rate:.2f}× trivial",
                ),
                (
                    "POST /api/v1/scan, first scans (check in)",
                    len(first),
                    errors(first, "checked_in"),
                    f"{first_seconds:.2f}",
                    f"{first_rate:,.0f}",
                    f"{first_rate / trivial_rate:.2f}× trivial",
                ),
                (
                    "POST /api/v1/scan, repeat scans (no-op)",
                    len(again),
                    errors(again, "already_in"),
                    f"{again_seconds:.2f}",
                    f"{again_rate:,.0f}",
                    f"{again_rate / trivial_rate:.2f}× trivial",
                ),
            ]
            backend = engine.dialect.name
            print(
                f"\nScan storm on {backend}: {args.people} people, {args.concurrency} client threads, "
                f"gunicorn {args.workers} workers × {args.threads} threads\n"
            )
            widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
            for row in table:
                print(
                    "  ".join(
                        str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                        for i, cell in enumerate(row)
                    )
                )
            print(f"\ncheck-ins in the database: {len(rows)} people, {duplicates} duplicates")
            outcomes = Counter(first) + Counter(again)
            print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
            engine.dispose()
            app.extensions["points_db"].engine.dispose()
        finally:
            stop_gunicorn(server)


if __name__ == "__main__":
    main()
