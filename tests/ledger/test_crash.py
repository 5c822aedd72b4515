"""A crash in the middle of postings loses nothing that was acknowledged and leaves nothing half-done.

Through the real stack on PostgreSQL: gunicorn with the production settings, staff asking for
manual awards and a second staff member approving them over HTTP from parallel threads. The
whole server (master and workers) is killed with SIGKILL while requests are in flight, then
started again. Every award and approval answered 2xx before the kill must be in the ledger,
every request replayed with its Idempotency-Key must answer as before and move nothing twice,
no idempotency record may be left without its answer, and `flask points verify` must pass.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from points.db import normalise_url, session
from tests.conftest import make_test_app, migrated_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
    ),
]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RESIDENTS = 12
MAKERS, CHECKERS = 4, 4
# The kill comes once this many awards and approvals were answered, with traffic still going.
KILL_AFTER_AWARDS, KILL_AFTER_APPROVALS = 100, 60


def _seed(url: str) -> dict:
    """A community with two staff members (one asks, the other approves) and residents; tokens."""
    from points.auth.operations import issue_token
    from points.org import operations as org
    from points.people import operations as people

    app = make_test_app(url)
    with app.app_context():
        parent = None
        for level, name in (
            ("city", "伊春市"),
            ("district", "伊美区"),
            ("street", "旭日街道"),
            ("community", "红升社区"),
        ):
            parent = org.create_node(
                actor=None, parent_id=parent.id if parent else None, level=level, name=name
            )
        staff = [
            people.create_person(actor=None, phone=f"1390000000{i}", name=name, community_id=parent.id)
            for i, name in enumerate(("张丽华", "杨晓燕"), start=1)
        ]
        for person in staff:
            people.grant_role(actor=None, person_id=person.id, role="staff", node_id=parent.id)
        residents = [
            people.create_person(actor=None, phone=f"1370000{i:04d}", name=f"居民{i}", community_id=parent.id)
            for i in range(RESIDENTS)
        ]
        world = {
            "community": parent.id,
            "maker": issue_token(person=staff[0])[0],
            "checker": issue_token(person=staff[1])[0],
            "residents": [r.id for r in residents],
        }
        session().commit()
    app.extensions["points_db"].engine.dispose()
    return world


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with the production settings, in a process group of its own (so one signal
    reaches the master and every worker)."""

    def __init__(self, url: str, log: Path):
        self.url, self.log = url, log
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.env = {
            **os.environ,
            "POINTS_ENV": "production",
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PUBLIC_BASE_URL": "https://points.example.cn",
            # Plain HTTP on loopback: no reverse proxy in front in this test.
            "SESSION_COOKIE_SECURE": "0",
        }

    def start(self) -> None:
        self.port = _free_port()
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--workers", "3", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Workers import the whole app before they answer: on a loaded 2-core machine that alone
        # has taken over 30 s.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()[-3000:]}"
            try:
                if call(self.port, "GET", "/api/v1/health").status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


@dataclass
class Answer:
    status: int
    body: dict


def call(
    port: int, method: str, path: str, *, token: str = "", key: str = "", body: bytes | None = None
) -> Answer:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        return Answer(response.status, json.loads(data) if data else {})
    finally:
        connection.close()


@dataclass
class Request:
    """One point-moving request, as sent (the exact body bytes: a replay must match them)."""

    token: str
    path: str
    key: str
    body: bytes
    answer: Answer | None = None  # None: no answer came (in flight when the server died)

    def send(self, port: int) -> Answer:
        return call(port, "POST", self.path, token=self.token, key=self.key, body=self.body)


def _traffic(server: Server, world: dict) -> tuple[list[Request], list[Request]]:
    """Makers ask for awards, checkers approve what was acknowledged, until the server is killed."""
    awards: list[Request] = []
    approvals: list[Request] = []
    acknowledged: queue.Queue[int] = queue.Queue()
    lock = threading.Lock()
    dead = threading.Event()
    counts = {"awards": 0, "approvals": 0}

    def count(kind: str) -> None:
        with lock:
            counts[kind] += 1
            enough = counts["awards"] >= KILL_AFTER_AWARDS and counts["approvals"] >= KILL_AFTER_APPROVALS
            if enough and not dead.is_set():
                dead.set()
                server.kill()

    def send(request: Request, into: list[Request]) -> Answer | None:
        with lock:
            into.append(request)
        try:
            request.answer = request.send(server.port)
        except (OSError, http.client.HTTPException, json.JSONDecodeError):
            return None
        return request.answer

    def maker(n: int) -> None:
        i = 0
        while not dead.is_set():
            i += 1
            body = {
                "community_id": world["community"],
                "person_id": world["residents"][(n * 7 + i) % RESIDENTS],
                "kind": "xingan",
                "amount": 1 + (n + i) % 9,
                "memo": f"志愿服务 {n}-{i}",
            }
            request = Request(world["maker"], "/api/v1/awards", uuid.uuid4().hex, json.dumps(body).encode())
            answer = send(request, awards)
            if answer is not None and answer.status == 201:
                acknowledged.put(answer.body["id"])
                count("awards")

    def checker() -> None:
        while not dead.is_set():
            try:
                transfer_id = acknowledged.get(timeout=0.1)
            except queue.Empty:
                continue
            request = Request(
                world["checker"], f"/api/v1/awards/{transfer_id}/approve", uuid.uuid4().hex, b""
            )
            answer = send(request, approvals)
            if answer is not None and answer.status == 200:
                count("approvals")

    threads = [threading.Thread(target=maker, args=(n,)) for n in range(MAKERS)]
    threads += [threading.Thread(target=checker) for _ in range(CHECKERS)]
    for thread in threads:
        thread.start()
    # However the traffic goes, it ends in a kill.
    dead.wait(40)
    with lock:
        dead.set()
    server.kill()
    for thread in threads:
        thread.join(40)
    return awards, approvals


@pytest.fixture
def crash_database(tmp_path):
    with migrated_database(tmp_path, "crash") as url:
        yield url


def test_sigkill_midway_loses_no_acknowledged_posting(crash_database, tmp_path):
    world = _seed(crash_database)
    server = Server(crash_database, tmp_path / "gunicorn.log")
    server.start()
    try:
        awards, approvals = _traffic(server, world)
        answered = [r for r in awards + approvals if r.answer is not None]
        assert [r.answer.status for r in answered if r.answer.status >= 300] == [], "refused before the kill"
        assert len(answered) < len(awards) + len(approvals), "no request was in flight at the kill"

        server.start()
        engine = sa.create_engine(normalise_url(crash_database))
        try:
            with engine.connect() as conn:
                rows = {
                    row.id: row
                    for row in conn.execute(
                        sa.text("SELECT id, status, pending_id, amount, reason FROM ledger_transfers")
                    )
                }
                # A key is written with its answer in one transaction: none may be left "in progress".
                unanswered_keys = conn.execute(
                    sa.text("SELECT count(*) FROM idempotency_records WHERE status_code = 0")
                ).scalar_one()
            assert unanswered_keys == 0

            # Every acknowledged award and approval is in the ledger, as answered.
            for request in awards:
                if request.answer is not None:
                    row = rows.get(request.answer.body["id"])
                    assert row is not None and row.status == "pending", request.answer.body
                    assert row.amount == json.loads(request.body)["amount"]
            for request in approvals:
                if request.answer is not None:
                    row = rows.get(request.answer.body["id"])
                    assert row is not None and row.status == "post", request.answer.body
                    assert f"/awards/{row.pending_id}/approve" in request.path

            # Replaying every request with its key: the acknowledged ones answer as before; the
            # ones cut off by the kill now happen (or replay what committed) exactly once.
            for request in awards + approvals:
                first = request.send(server.port)
                assert first.status in (200, 201), (request.path, first)
                if request.answer is not None:
                    assert first == request.answer, (request.path, request.answer, first)
                assert request.send(server.port) == first, request.path

            with engine.connect() as conn:
                counts = dict(
                    conn.execute(
                        sa.text(
                            "SELECT status, count(*) FROM ledger_transfers "
                            "WHERE reason = 'manual_award' GROUP BY status"
                        )
                    ).all()
                )
            assert counts == {"pending": len(awards), "post": len(approvals)}, counts
        finally:
            engine.dispose()
    finally:
        server.kill()

    verify = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "points", "verify"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        # Importing the app and walking the chain on a loaded 2-core machine, as the start-up above.
        timeout=180,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert verify.stdout.startswith("OK"), verify.stdout
