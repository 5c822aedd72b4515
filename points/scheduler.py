"""Scheduled jobs: a registry filled by the domains, a run record per (job, period),
and the one scheduler process.

Jobs never run inside web workers (each forked worker would start its own
scheduler and run every job again). A lease row keeps a second scheduler,
started by mistake, idle; the unique (job, period) key makes a rerun a no-op
even if two schedulers did run.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, select

from points.db import LOCAL_TZ, UTCDateTime, session, transaction, utcnow
from points.metrics import JOB_RUNS

log = logging.getLogger(__name__)

# Domain modules that register jobs; imported when the registry is first needed.
JOB_MODULES = (
    "points.auth.jobs",
    "points.ledger.jobs",
    "points.board.jobs",
    "points.checkin.jobs",
    "points.store.jobs",
    "points.supervision.jobs",
    "points.notices.jobs",
    "points.onboarding.jobs",
    "points.evaluation.jobs",
)


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=64)
    period: str = Field(max_length=32)
    status: str = Field(max_length=12)  # ok | failed
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: str = Field(default="", sa_type=sa.Text)


class SchedulerLease(SQLModel, table=True):
    __tablename__ = "scheduler_leases"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


_PERIOD_FORMATS: dict[str, str] = {}


def _period(name: str, fmt: str):
    def period(now: datetime) -> str:
        return now.astimezone(LOCAL_TZ).strftime(fmt)

    period.__name__ = name
    _PERIOD_FORMATS[name] = fmt
    return period


daily = _period("daily", "%Y-%m-%d")
hourly = _period("hourly", "%Y-%m-%dT%H")
monthly = _period("monthly", "%Y-%m")


def previous_year(now: datetime) -> str:
    """The local year before `now`'s: a job run at New Year settles the year just ended."""
    return str(now.astimezone(LOCAL_TZ).year - 1)


_PERIOD_FORMATS["previous_year"] = "%Y"


def previous_month(now: datetime) -> str:
    """The local month before `now`'s: a job run on the 1st reports on the month just ended."""
    local = now.astimezone(LOCAL_TZ)
    return f"{local.year - 1}-12" if local.month == 1 else f"{local.year}-{local.month - 1:02d}"


_PERIOD_FORMATS["previous_month"] = "%Y-%m"


def valid_period(job: Job, period: str) -> bool:
    """Whether a period key typed by hand has the form the job's own periods have."""
    fmt = _PERIOD_FORMATS.get(job.period.__name__)
    if fmt is None:
        return True
    try:
        return datetime.strptime(period, fmt).strftime(fmt) == period
    except ValueError:
        return False


def describe_schedule(cron: dict) -> str:
    """'daily at 02:30' and the like, in Asia/Shanghai time."""
    hour, minute = cron.get("hour"), cron.get("minute", 0)
    if "month" in cron and hour is not None:
        return f"yearly on {int(cron['month']):02d}-{int(cron.get('day', 1)):02d} at {int(hour):02d}:{int(minute):02d}"
    if "day" in cron and hour is not None:
        return f"monthly on day {cron['day']} at {int(hour):02d}:{int(minute):02d}"
    if hour is not None:
        return f"daily at {int(hour):02d}:{int(minute):02d}"
    return f"hourly at minute {int(minute):02d}"


@dataclass
class Job:
    name: str
    func: Callable[..., str | None]
    cron: dict = field(default_factory=dict)
    period: Callable[[datetime], str] = daily
    description: str = ""
    # The job reads its period key (`func(*, now, period)`): a run by hand for a past period
    # looks at that period, not at today.
    takes_period: bool = False


_REGISTRY: dict[str, Job] = {}


def register_job(
    name: str,
    *,
    cron: dict,
    period: Callable[[datetime], str] = daily,
    description: str = "",
    takes_period: bool = False,
):
    """Decorator for `func(*, now) -> detail` (with `takes_period`, `func(*, now, period)`); the
    function must flush, not commit."""

    def decorate(func):
        description_ = description or (func.__doc__ or "").strip()
        _REGISTRY[name] = Job(name, func, cron, period, description_, takes_period)
        return func

    return decorate


def jobs() -> dict[str, Job]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


@dataclass
class RunResult:
    job: str
    period: str
    status: str  # ok | failed | skipped
    detail: str


def run_job(name: str, *, now: datetime | None = None, period: str | None = None) -> RunResult:
    """Run one job for one period in one transaction with its run record.

    A period that already ran successfully is skipped; a failed one may run again.
    """
    job = jobs().get(name)
    if job is None:
        raise KeyError(name)
    now = now or utcnow()
    period = period or job.period(now)
    sess = session()
    try:
        # FOR UPDATE: a concurrent rerun of a failed period waits for this one
        # and then sees it done.
        existing = sess.exec(
            select(JobRun)
            .where(JobRun.job == name, JobRun.period == period)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if existing is not None and existing.status == "ok":
            finished_at = existing.finished_at
            sess.rollback()
            return RunResult(name, period, "skipped", f"already ran at {finished_at}")
        if existing is None:
            existing = JobRun(job=name, period=period, status="ok", started_at=now)
            sess.add(existing)
        existing.status, existing.started_at = "ok", now
        # Taking the unique key first means a concurrent first run of the same
        # period waits here and then finds it taken.
        try:
            sess.flush()
        except IntegrityError:
            sess.rollback()
            return RunResult(name, period, "skipped", "another run holds this period")
        detail = (job.func(now=now, period=period) if job.takes_period else job.func(now=now)) or ""
        existing.finished_at = utcnow()
        existing.detail = detail[:4000]
        sess.commit()
        log.info("job %s %s ok: %s", name, period, detail)
        JOB_RUNS.labels(name, "ok").inc()
        return RunResult(name, period, "ok", detail)
    except Exception as exc:
        sess.rollback()
        log.exception("job %s %s failed", name, period)
        JOB_RUNS.labels(name, "failed").inc()
        _record_failure(name, period, now, exc)
        return RunResult(name, period, "failed", type(exc).__name__)


def _record_failure(name: str, period: str, now: datetime, exc: Exception) -> None:
    try:
        with transaction() as sess:
            row = sess.exec(
                select(JobRun)
                .where(JobRun.job == name, JobRun.period == period)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).first()
            if row is None:
                row = JobRun(job=name, period=period, status="failed", started_at=now)
                sess.add(row)
            elif row.status == "ok":
                # Another run finished this period; this attempt never held it.
                return
            row.status, row.finished_at = "failed", utcnow()
            row.detail = f"{type(exc).__name__}: {exc}"[:4000]
    except Exception:
        log.exception("could not record failure of job %s", name)


def missed_runs(*, now: datetime, look_back: timedelta) -> list[tuple[datetime, Job, str]]:
    """The scheduled runs of the last `look_back` whose period `job_runs` has no successful run
    of, oldest first: what a scheduler that was down (a failover, a restart, a `kill -9` just
    before a tick) did not run. Each is (when it was due, the job, its period). Nothing before
    the first run ever recorded counts: a new installation has nothing to catch up."""
    first = session().execute(sa.select(sa.func.min(JobRun.started_at))).scalar_one()
    if first is None:
        return []
    since = max(now - look_back, first)
    due: dict[tuple[str, str], tuple[datetime, Job]] = {}
    for job in jobs().values():
        trigger = CronTrigger(timezone=LOCAL_TZ, **job.cron)
        fire = trigger.get_next_fire_time(None, since)
        while fire is not None and fire <= now:
            due.setdefault((job.name, job.period(fire)), (fire, job))
            fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if not due:
        return []
    done = set(
        session().execute(
            sa.select(JobRun.job, JobRun.period).where(
                JobRun.status == "ok", JobRun.job.in_({name for name, _ in due})
            )
        )
    )
    session().rollback()
    missed = [
        (fire, job, period) for (name, period), (fire, job) in due.items() if (name, period) not in done
    ]
    return sorted(missed, key=lambda item: (item[0], item[1].name))


def catch_up(*, now: datetime | None = None, look_back: timedelta) -> list[RunResult]:
    """Run every missed period (see `missed_runs`) in order, each as of when it was due."""
    now = now or utcnow()
    results = []
    for fire, job, period in missed_runs(now=now, look_back=look_back):
        log.info("catching up %s for %s (due %s)", job.name, period, fire.isoformat())
        results.append(run_job(job.name, now=fire, period=period))
    return results


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(*, holder: str, seconds: int, now: datetime | None = None) -> bool:
    """Take or renew the scheduler lease; False while another live scheduler holds it."""
    now = now or utcnow()
    try:
        with transaction() as sess:
            lease = sess.get(SchedulerLease, "scheduler", with_for_update=True, populate_existing=True)
            if lease is None:
                sess.add(
                    SchedulerLease(
                        name="scheduler", holder=holder, expires_at=now + timedelta(seconds=seconds)
                    )
                )
                return True
            if lease.holder != holder and lease.expires_at > now:
                return False
            lease.holder, lease.expires_at = holder, now + timedelta(seconds=seconds)
            return True
    except IntegrityError:
        # Two schedulers creating the first lease row at once: the other one won.
        return False


def release_lease(*, holder: str) -> None:
    with transaction() as sess:
        lease = sess.get(SchedulerLease, "scheduler", with_for_update=True, populate_existing=True)
        if lease is not None and lease.holder == holder:
            sess.delete(lease)


class _Leader:
    """This process's claim to run jobs: the lease, taken or renewed; on taking it over (not on
    renewing it) it first catches up what was missed within SCHEDULER_CATCH_UP_HOURS."""

    def __init__(self, app: Flask):
        self.app = app
        self.holder = holder_id()
        self.seconds = app.config.get("SCHEDULER_LEASE_SECONDS", 60)
        self.look_back = timedelta(hours=app.config.get("SCHEDULER_CATCH_UP_HOURS", 48))
        self.holding = False

    def lead(self) -> bool:
        leading = acquire_lease(holder=self.holder, seconds=self.seconds)
        if leading and not self.holding:
            catch_up(look_back=self.look_back)
        self.holding = leading
        return leading

    def run_if_leader(self, name: str) -> None:
        with self.app.app_context():
            if not self.lead():
                log.info("another scheduler holds the lease; %s not run here", name)
                return
            run_job(name)

    def renew(self) -> None:
        with self.app.app_context():
            self.lead()

    def wait_for_lease(self) -> None:
        with self.app.app_context():
            while not self.lead():
                log.warning("another scheduler is running; waiting for its lease to lapse")
                time.sleep(max(5, self.seconds // 3))

    def release(self) -> None:
        with self.app.app_context():
            release_lease(holder=self.holder)


def serve(app: Flask) -> None:  # pragma: no cover - a long-running process
    """Run the scheduler until interrupted; only the lease holder runs jobs (see `_Leader`)."""
    leader = _Leader(app)
    scheduler = BlockingScheduler(timezone=LOCAL_TZ)
    # run_job logs each run; APScheduler's per-execution lines (a lease renewal
    # every few seconds) would drown them. Its errors still show.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    for job in jobs().values():
        scheduler.add_job(
            leader.run_if_leader,
            "cron",
            args=[job.name],
            id=job.name,
            coalesce=True,
            misfire_grace_time=3600,
            **job.cron,
        )
    scheduler.add_job(leader.renew, "interval", seconds=max(5, leader.seconds // 3), id="lease")

    def stop(signum, _frame) -> None:
        # SIGTERM (from a process manager or `make run`) stops as cleanly as
        # Ctrl-C: the lease is released, so a restarted scheduler need not wait.
        log.info("scheduler stopping on signal %s", signum)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        else:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    leader.wait_for_lease()
    log.info("scheduler %s started with jobs: %s", leader.holder, ", ".join(sorted(jobs())))
    try:
        scheduler.start()
    finally:
        leader.release()
