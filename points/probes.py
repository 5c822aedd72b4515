"""Liveness and readiness, for a process manager or a load balancer.

`/health`: the process answers (no database). `/ready`: the database answers, its schema is at
the migrations' head, and a scheduler holds a fresh lease; 503 with what is wrong otherwise.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify

from points.db import session, utcnow
from points.migrate import alembic_config
from points.scheduler import SchedulerLease


def _schema_state() -> tuple[bool, str]:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    current = set(MigrationContext.configure(session().connection()).get_current_heads())
    return current == heads, ",".join(sorted(current)) or "none"


def _scheduler_state() -> tuple[bool, str]:
    lease = session().get(SchedulerLease, "scheduler")
    if lease is None:
        return False, "no scheduler has run"
    # A lease renews every third of its length; one that lapsed a while ago means no scheduler.
    grace = timedelta(seconds=current_app.config.get("SCHEDULER_LEASE_SECONDS", 60))
    fresh = lease.expires_at + grace > utcnow()
    return fresh, f"held by {lease.holder} until {lease.expires_at.isoformat()}"


def _database_state() -> tuple[bool, str]:
    session().execute(sa.text("SELECT 1"))
    return True, "answers"


def readiness() -> tuple[bool, dict]:
    """Each check as {ok, detail}; a check the database could not answer is not ok."""
    checks = {"database": _database_state, "migrations": _schema_state}
    if current_app.config.get("READY_NEEDS_SCHEDULER", True):
        checks["scheduler"] = _scheduler_state
    results: dict[str, dict] = {}
    for name, check in checks.items():
        try:
            ok, detail = check()
        except sa.exc.SQLAlchemyError as exc:
            session().rollback()
            ok, detail = False, type(exc).__name__
        results[name] = {"ok": ok, "detail": detail}
    return all(result["ok"] for result in results.values()), results


def init_app(app: Flask) -> None:
    @app.get("/health")
    def health():
        """The process is up (touches nothing else)."""
        return jsonify({"status": "ok"})

    @app.get("/ready")
    def ready():
        """Ready to serve: the database, its schema and the scheduler."""
        ok, checks = readiness()
        response = jsonify({"status": "ready" if ok else "not_ready", "checks": checks})
        response.status_code = 200 if ok else 503
        return response
