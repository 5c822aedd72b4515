"""What operators watch: /health, /ready, /metrics, request ids and JSON request logs, and rate
limits shared through Redis by several workers."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from points.db import session, utcnow
from points.scheduler import SchedulerLease


def test_health_answers_without_the_database(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_ready_needs_the_database_the_schema_and_a_live_scheduler(client, save):
    not_ready = client.get("/ready")
    assert not_ready.status_code == 503
    assert not_ready.json["checks"]["database"]["ok"] and not_ready.json["checks"]["migrations"]["ok"]
    assert not not_ready.json["checks"]["scheduler"]["ok"]

    session().add(
        SchedulerLease(name="scheduler", holder="box:1", expires_at=utcnow() + timedelta(seconds=60))
    )
    save()
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json["status"] == "ready"


def test_ready_notices_a_scheduler_gone_quiet(client, save):
    session().add(
        SchedulerLease(name="scheduler", holder="box:1", expires_at=utcnow() - timedelta(minutes=10))
    )
    save()
    assert client.get("/ready").status_code == 503


def test_metrics_only_for_allowed_addresses_or_the_token(app_with):
    app = app_with(METRICS_ALLOW="127.0.0.1", METRICS_TOKEN=None)
    client = app.test_client()
    client.get("/health")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 404
    scraped = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert scraped.status_code == 200
    assert 'points_request_seconds_count{endpoint="probes_health' in scraped.get_data(as_text=True) or (
        'endpoint="health"' in scraped.get_data(as_text=True)
    )

    guarded = app_with(METRICS_TOKEN="s3cret-token").test_client()
    assert guarded.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404
    assert guarded.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_request_id_comes_back_in_the_header_and_in_problem_documents(client):
    given = client.get("/api/v1/nothing-here", headers={"X-Request-Id": "req-12345678"})
    assert given.headers["X-Request-Id"] == "req-12345678"
    assert given.json["request_id"] == "req-12345678"
    made = client.get("/health")
    assert len(made.headers["X-Request-Id"]) == 16


def test_json_request_log_line(app_with, caplog):
    client = app_with(LOG_JSON=True).test_client()
    with caplog.at_level(logging.INFO, logger="points.requests"):
        client.get("/health", headers={"X-Request-Id": "req-abcdefgh"})
    line = json.loads(next(r.getMessage() for r in caplog.records if r.name == "points.requests"))
    assert line["request_id"] == "req-abcdefgh" and line["status"] == 200 and line["endpoint"] == "health"
    assert set(line) == {"request_id", "person_id", "method", "endpoint", "path", "status", "ms"}


def _redis_url() -> str | None:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return None
    return "redis://127.0.0.1:6379/15"


def test_login_limits_are_shared_by_workers_through_redis(app_with, make_person):
    url = _redis_url()
    if url is None:
        if os.environ.get("POINTS_REQUIRE_REDIS"):
            pytest.fail("Redis does not answer at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379 (CI starts one)")
    import redis

    redis.Redis.from_url(url).flushdb()
    person = make_person()
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": url,
        "LOGIN_RATE_LIMIT_ACCOUNT": "3 per minute",
        "LOGIN_RATE_LIMIT_ADDRESS": "1000 per minute",
    }
    # Two apps stand for two gunicorn workers: one limit, counted in Redis.
    workers = [app_with(**settings).test_client(), app_with(**settings).test_client()]
    statuses = [
        workers[i % 2]
        .post("/api/v1/auth/token", json={"phone": person.phone, "password": "wrong-password"})
        .status_code
        for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_metrics_add_up_across_gunicorn_workers(tmp_path, database_url):
    """Under gunicorn every worker counts in the shared folder; /metrics sums them."""
    root = Path(__file__).resolve().parent.parent
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "POINTS_ENV": "test",
        "TEST_DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import http.client

        def get(path: str) -> tuple[int, str]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get("/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        for _ in range(40):
            assert get("/health")[0] == 200
        status, text = get("/metrics")
        assert status == 200
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("points_request_seconds_count") and 'endpoint="health"' in line
        )
        assert counted >= 41
        # Two workers wrote their own files.
        assert len([p for p in tmp_path.iterdir() if p.name.startswith("histogram")]) >= 1
    finally:
        server.terminate()
        server.wait(20)
