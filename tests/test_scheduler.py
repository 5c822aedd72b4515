"""Job runs: one record per (job, period), at most one successful run, reruns of failures; the lease."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from points import scheduler
from points.audit.models import AuditEntry
from points.audit.operations import record
from points.db import make_engine, session
from points.migrate import upgrade
from points.scheduler import (
    JobRun,
    SchedulerLease,
    acquire_lease,
    daily,
    register_job,
    release_lease,
    run_job,
)
from tests.conftest import fresh_database, get_db_from, make_test_app, migrated_database
from tests.races import second_waits_for_first

NOW = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
ACTION = "test.job_ran"


@pytest.fixture
def registry(monkeypatch):
    """A copy of the job registry, so jobs registered by a test vanish after it."""
    monkeypatch.setattr(scheduler, "_REGISTRY", dict(scheduler.jobs()))
    return scheduler._REGISTRY


def audit_job(name: str, fail_with: Exception | None = None):
    """Register job `name` whose side effect is one audit entry, written in the job's transaction."""

    @register_job(name, cron={"hour": 4})
    def job(*, now: datetime) -> str:
        record(actor_id=None, action=ACTION, target_type="job", target_id=None, detail={"job": name})
        session().flush()
        if fail_with is not None:
            raise fail_with
        return "did it"

    return job


def entries(name: str) -> int:
    rows = session().exec(select(AuditEntry).where(AuditEntry.action == ACTION)).all()
    return sum(1 for row in rows if row.detail.get("job") == name)


def run_row(name: str, period: str) -> JobRun | None:
    return (
        session()
        .exec(
            select(JobRun)
            .where(JobRun.job == name, JobRun.period == period)
            .execution_options(populate_existing=True)
        )
        .first()
    )


def test_run_job_records_run(app, registry):
    audit_job("t_record")

    result = run_job("t_record", now=NOW)

    assert (result.status, result.period, result.detail) == ("ok", "2026-03-14", "did it")
    row = run_row("t_record", "2026-03-14")
    assert row.status == "ok"
    assert row.started_at == NOW
    assert row.finished_at is not None
    assert row.detail == "did it"
    assert entries("t_record") == 1


def test_run_job_same_period_twice_runs_once(app, registry):
    audit_job("t_twice")

    first = run_job("t_twice", now=NOW)
    second = run_job("t_twice", now=NOW + timedelta(hours=3))

    assert (first.status, second.status) == ("ok", "skipped")
    assert second.period == first.period
    assert entries("t_twice") == 1


def test_run_job_next_period_runs_again(app, registry):
    audit_job("t_next")

    run_job("t_next", now=NOW)
    result = run_job("t_next", now=NOW + timedelta(days=1))

    assert result.status == "ok"
    assert result.period == daily(NOW + timedelta(days=1))
    assert entries("t_next") == 2


def test_run_job_explicit_period(app, registry):
    audit_job("t_period")

    assert run_job("t_period", now=NOW, period="2025-12-31").status == "ok"
    assert run_job("t_period", now=NOW, period="2025-12-31").status == "skipped"
    assert run_job("t_period", now=NOW).status == "ok"
    assert entries("t_period") == 2


def test_run_job_failure_recorded_and_rerun(app, registry):
    audit_job("t_fail", fail_with=RuntimeError("the printer is on fire"))

    result = run_job("t_fail", now=NOW)

    assert (result.status, result.detail) == ("failed", "RuntimeError")
    row = run_row("t_fail", result.period)
    assert row.status == "failed"
    assert row.detail == "RuntimeError: the printer is on fire"
    # The failed run's own writes were rolled back with it.
    assert entries("t_fail") == 0

    audit_job("t_fail")  # fixed
    rerun = run_job("t_fail", now=NOW + timedelta(hours=1))

    assert rerun.status == "ok"
    assert run_row("t_fail", result.period).status == "ok"
    assert entries("t_fail") == 1
    assert run_job("t_fail", now=NOW).status == "skipped"


def test_run_job_failure_keeps_other_jobs_running(app, registry):
    audit_job("t_broken", fail_with=ValueError("bad"))
    audit_job("t_fine")

    assert run_job("t_broken", now=NOW).status == "failed"
    assert run_job("t_fine", now=NOW).status == "ok"
    assert entries("t_fine") == 1


def test_run_job_unknown_name(app):
    with pytest.raises(KeyError):
        run_job("no_such_job", now=NOW)


def test_registered_jobs_have_a_schedule():
    for job in scheduler.jobs().values():
        assert job.cron, job.name
        assert job.description, job.name


def test_acquire_lease_refused_while_another_holds_it(app):
    assert acquire_lease(holder="A", seconds=60, now=NOW)
    assert not acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=30))
    # The holder renews its own lease.
    assert acquire_lease(holder="A", seconds=60, now=NOW + timedelta(seconds=30))
    assert not acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=75))


def test_acquire_lease_taken_over_after_expiry(app):
    assert acquire_lease(holder="A", seconds=60, now=NOW)

    assert acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=61))
    assert not acquire_lease(holder="A", seconds=60, now=NOW + timedelta(seconds=62))


def test_acquire_lease_sees_renewal_by_another_process(app):
    assert acquire_lease(holder="A", seconds=60, now=NOW)
    # A renews from its own process: the row changes behind this session's back.
    session().connection().execute(sa.update(SchedulerLease).values(expires_at=NOW + timedelta(seconds=120)))

    assert not acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=61))


def test_release_lease_only_by_holder(app):
    assert acquire_lease(holder="A", seconds=60, now=NOW)

    release_lease(holder="B")
    assert not acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=1))

    release_lease(holder="A")
    assert acquire_lease(holder="B", seconds=60, now=NOW + timedelta(seconds=2))


# Concurrency: real connections and commits, on a throwaway PostgreSQL database.


@pytest.fixture
def committed_app(tmp_path):
    with migrated_database(tmp_path, "scheduler") as url:
        app = make_test_app(url)
        try:
            yield app
        finally:
            get_db_from(app).engine.dispose()


@pytest.mark.parametrize("earlier_failure", [False, True], ids=["first_run", "rerun_after_failure"])
@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_run_job_racing_runs_body_once(committed_app, registry, earlier_failure):
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    @register_job("t_race", cron={"hour": 4})
    def race(*, now: datetime) -> str:
        calls.append(threading.current_thread().name)
        record(actor_id=None, action=ACTION, target_type="job", target_id=None, detail={"job": "t_race"})
        entered.set()
        assert release.wait(10), "never released"
        return "raced"

    if earlier_failure:
        with committed_app.app_context():
            session().add(JobRun(job="t_race", period=daily(NOW), status="failed", started_at=NOW))
            session().commit()

    results = {}

    def run(label: str) -> None:
        with committed_app.app_context():
            results[label] = run_job("t_race", now=NOW)

    first = threading.Thread(target=run, args=("first",), name="first")
    second = threading.Thread(target=run, args=("second",), name="second")
    second_waits_for_first(
        committed_app, first, second, entered, release, "the second run never waited for the first"
    )

    assert calls == ["first"]
    assert results["first"].status == "ok"
    assert results["second"].status == "skipped"
    with committed_app.app_context():
        assert run_row("t_race", daily(NOW)).status == "ok"
        assert entries("t_race") == 1


@pytest.fixture
def only_test_jobs(app, monkeypatch):
    """A registry holding only the jobs a test registers."""
    monkeypatch.setattr(scheduler, "JOB_MODULES", ())
    monkeypatch.setattr(scheduler, "_REGISTRY", {})
    return scheduler._REGISTRY


def test_a_standby_taking_over_runs_the_tick_the_dead_leader_missed(only_test_jobs, save):
    # The leader renewed its lease at 03:59:30 and was killed before the 04:00 tick.
    audit_job("catch_up_job")
    before = datetime(2026, 3, 14, 19, 59, 30, tzinfo=UTC)  # 03:59:30 on the 15th, Shanghai
    run_job("catch_up_job", now=before - timedelta(days=1))  # yesterday's run happened
    assert acquire_lease(holder="leader", seconds=60, now=before)
    save()
    tick = datetime(2026, 3, 14, 20, 0, tzinfo=UTC)  # 04:00 Shanghai
    # The standby cannot take the lease while it is live, then takes it once it lapsed.
    assert not acquire_lease(holder="standby", seconds=60, now=tick)
    takeover = tick + timedelta(seconds=75)
    assert acquire_lease(holder="standby", seconds=60, now=takeover)

    results = scheduler.catch_up(now=takeover, look_back=timedelta(hours=48))

    assert [(r.job, r.period, r.status) for r in results] == [("catch_up_job", "2026-03-15", "ok")]
    assert run_row("catch_up_job", "2026-03-15").started_at == tick
    # Caught up once: a second take-over finds nothing missing.
    assert scheduler.catch_up(now=takeover, look_back=timedelta(hours=48)) == []


def test_catch_up_looks_back_only_so_far_and_never_before_the_first_run(only_test_jobs):
    audit_job("look_back_job")
    first = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 04:00 on the 11th, Shanghai
    run_job("look_back_job", now=first)
    now = datetime(2026, 3, 14, 21, 0, tzinfo=UTC)  # 05:00 on the 15th

    missed = [
        p
        for _, job, p in scheduler.missed_runs(now=now, look_back=timedelta(hours=48))
        if job.name == "look_back_job"
    ]

    # The 12th, 13th and 14th ran nowhere; the 48 hours reach back to the 13th.
    assert missed == ["2026-03-14", "2026-03-15"]


def test_a_new_installation_has_nothing_to_catch_up(only_test_jobs):
    session().execute(sa.delete(JobRun))
    assert scheduler.missed_runs(now=NOW, look_back=timedelta(hours=48)) == []


def _read(engine, stmt):
    """Rows read in a short transaction of their own, which takes no write lock on SQLite."""
    with engine.connect() as conn:
        return conn.execution_options(read_only_snapshot=True).execute(stmt).all()


def _wait_for(predicate, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_standby_scheduler_process_runs_what_the_killed_leader_missed(tmp_path):
    """Real processes: a leader took the lease and died (`kill -9`: it never released it) before
    its ticks; the standby waits for the lease to lapse, takes it over and catches up."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with fresh_database(tmp_path, "standby") as url:
        engine = make_engine(url)
        upgrade(engine)
        now = datetime.now(UTC)
        with engine.begin() as conn:
            # History: the scheduler last ran a day and a half ago; what came since is missing.
            conn.execute(
                sa.insert(JobRun.__table__).values(
                    job="verify_ledger",
                    period="2000-01-01",
                    status="ok",
                    started_at=now - timedelta(hours=36),
                )
            )
        env = {
            **os.environ,
            "POINTS_ENV": "test",
            "TEST_DATABASE_URL": url,
            "SCHEDULER_LEASE_SECONDS": "3",
            "SCHEDULER_CATCH_UP_HOURS": "30",
        }
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "points", "scheduler"]
        quiet = {"cwd": root, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        leader = subprocess.Popen(command, **quiet)
        standby = None
        try:
            assert _wait_for(lambda: _read(engine, sa.select(SchedulerLease.holder)))
            leader.send_signal(signal.SIGKILL)
            leader.wait(10)
            # What the leader ran before it died does not count: start from its lease alone.
            with engine.begin() as conn:
                conn.execute(sa.delete(JobRun.__table__).where(JobRun.period != "2000-01-01"))
                conn.execute(sa.update(SchedulerLease.__table__).values(holder="dead-leader:1"))
            standby = subprocess.Popen(command, **quiet)
            # The nightly verification's last tick came after the leader's history: today's if its
            # hour has passed, else yesterday's. Its period is that tick's date.
            cron = scheduler.jobs()["verify_ledger"].cron
            local_now = now.astimezone(scheduler.LOCAL_TZ)
            tick = local_now.replace(hour=cron["hour"], minute=cron["minute"], second=0, microsecond=0)
            if tick > local_now:
                tick -= timedelta(days=1)
            ran = sa.select(JobRun.id).where(
                JobRun.job == "verify_ledger",
                JobRun.period == tick.strftime("%Y-%m-%d"),
                JobRun.status == "ok",
            )

            assert _wait_for(lambda: _read(engine, ran))
            assert _read(engine, sa.select(SchedulerLease.holder))[0][0] != "dead-leader:1"
        finally:
            for process in (leader, standby):
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(20)
            engine.dispose()
