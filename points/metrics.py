"""What operators watch: Prometheus metrics, and one log line per request.

Metrics are kept per process; under gunicorn, `gunicorn.conf.py` points every worker (and the
scheduler, when it shares the folder) at one `PROMETHEUS_MULTIPROC_DIR`, and `/metrics` adds them
up. Domains count their own events here (`SCANS.inc()`), so the kernel imports no domain.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from collections.abc import Callable

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from sqlalchemy import event
from sqlalchemy.orm import Session

from points.db import session

REQUESTS = Histogram(
    "points_request_seconds",
    "Requests by endpoint, method and status, and how long they took",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SCANS = Counter("points_scans_total", "QR scans and staff check-ins by outcome", ["outcome"])
POSTINGS = Counter("points_postings_total", "Ledger rows appended, by status", ["status"])
APPROVALS = Counter("points_approvals_total", "Awards and reversals decided, by decision", ["decision"])
JOB_RUNS = Counter("points_job_runs_total", "Scheduled job runs by job and status", ["job", "status"])
VERIFY_OK = Gauge(
    "points_ledger_verify_ok",
    "1 when the last ledger verification found no problem",
    multiprocess_mode="mostrecent",
)
VERIFY_AT = Gauge(
    "points_ledger_verify_timestamp_seconds",
    "When the ledger was last verified (Unix time); alert on its age",
    multiprocess_mode="mostrecent",
)

# Gauges read from the database when scraped (whichever process did the work).
_SCRAPE_HOOKS: list[Callable[[], None]] = []
_PENDING = "points.metrics.pending"

REQUEST_ID_HEADER = "X-Request-Id"
# Where the request keeps its id: the error handler reads it from there too.
REQUEST_ID_KEY = "points.request_id"
log = logging.getLogger("points.requests")


def request_id() -> str:
    """This request's id: the proxy's `X-Request-Id` when it sent a sane one, else a new one.
    Kept with the request itself (an app context may serve several, in tests and jobs)."""
    environ = request.environ
    if REQUEST_ID_KEY not in environ:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        environ[REQUEST_ID_KEY] = (
            given if 8 <= len(given) <= 64 and given.isprintable() else secrets.token_hex(8)
        )
    return environ[REQUEST_ID_KEY]


def count(metric, amount: int = 1) -> None:
    """Add `amount` to a counter (a labelled child) once the current transaction commits:
    a refused or rolled-back request counts nothing."""
    session().info.setdefault(_PENDING, []).append((metric, amount))


@event.listens_for(Session, "after_commit")
def _count_committed(sess: Session) -> None:
    for metric, amount in sess.info.pop(_PENDING, ()):
        metric.inc(amount)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(sess: Session) -> None:
    sess.info.pop(_PENDING, None)


def on_scrape(hook: Callable[[], None]) -> None:
    """Run `hook` before each scrape, to set gauges from the database."""
    _SCRAPE_HOOKS.append(hook)


def _run_scrape_hooks() -> None:
    for hook in _SCRAPE_HOOKS:
        try:
            hook()
        except Exception:
            # A gauge left stale must not cost operators every other metric.
            logging.getLogger(__name__).exception("metrics hook %s failed", hook.__name__)


def _registry():
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return DEFAULT_REGISTRY


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return secrets.compare_digest(given, token)
    allowed = {a.strip() for a in current_app.config.get("METRICS_ALLOW", "").split(",") if a.strip()}
    return request.remote_addr in allowed


def init_app(app: Flask) -> None:
    @app.before_request
    def _start():
        request.environ["points.started"] = time.perf_counter()
        request_id()

    @app.after_request
    def _finish(response: Response) -> Response:
        seconds = time.perf_counter() - request.environ.get("points.started", time.perf_counter())
        endpoint = request.endpoint or "unmatched"
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).observe(seconds)
        response.headers[REQUEST_ID_HEADER] = request_id()
        if current_app.config.get("LOG_JSON"):
            actor = g.get("actor")
            log.info(
                json.dumps(
                    {
                        "request_id": request_id(),
                        "person_id": actor.person_id if actor is not None else None,
                        "method": request.method,
                        "endpoint": endpoint,
                        "path": request.path,
                        "status": response.status_code,
                        "ms": round(seconds * 1000, 1),
                    },
                    ensure_ascii=False,
                )
            )
        return response

    @app.get("/metrics")
    def metrics():
        """Prometheus text, for those METRICS_TOKEN or METRICS_ALLOW let in (404 for others)."""
        if not _may_scrape():
            abort(404)
        _run_scrape_hooks()
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
