"""The `flask points …` command group; domains add their own subcommands."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from points import backup as backups
from points import scheduler as sched
from points.db import get_db, transaction, utcnow
from points.demo.command import demo_command
from points.errors import DomainError
from points.ledger.cli import verify_command
from points.ledger.queries import chain_heads
from points.migrate import alembic_config, downgrade, upgrade
from points.people import operations, queries

points_cli = AppGroup("points", help="红松分 service commands.")
db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
jobs_cli = AppGroup("jobs", help="Scheduled jobs.")
points_cli.add_command(db_cli)
points_cli.add_command(jobs_cli)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""

    upgrade(get_db().engine, revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""

    downgrade(get_db().engine, revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    with get_db().engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)


@points_cli.command("create-admin")
@click.option("--phone", prompt="手机号")
@click.option("--name", prompt="姓名")
@click.option("--password", default=None, help="Asked for when omitted.")
def create_admin(phone: str, name: str, password: str | None) -> None:
    """Create a person with the admin role over the whole tree (or grant it to an existing one)."""

    if password is None:
        password = getpass.getpass("密码: ")
    try:
        with transaction():
            person = queries.find_person_by_phone(phone)
            if person is None:
                person = operations.create_person(actor=None, phone=phone, name=name, password=password)
            if not any(
                grant.role == "admin" and grant.node_id is None
                for grant, _n, _u in queries.grants_of(person.id)
            ):
                operations.grant_role(actor=None, person_id=person.id, role="admin")
    except DomainError as exc:
        click.echo(f"failed: {exc.code}: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"admin {phone} ready (person {person.id})")


@jobs_cli.command("list")
def jobs_list() -> None:
    """List the registered jobs and when they run (Asia/Shanghai time)."""
    for name, job in sorted(sched.jobs().items()):
        click.echo(f"{name:22} {sched.describe_schedule(job.cron):22} {job.description}")


@jobs_cli.command("run")
@click.argument("name")
@click.option("--period", default=None, help="Period key (default: the current one).")
def jobs_run(name: str, period: str | None) -> None:
    """Run job NAME once now; a period that already ran is skipped."""
    job = sched.jobs().get(name)
    if job is None:
        click.echo(f"no job named {name!r}; see `flask points jobs list`", err=True)
        sys.exit(2)
    if period is not None and not sched.valid_period(job, period):
        example = job.period(utcnow())
        click.echo(f"{period!r} is not a {job.period.__name__} period of {name}, e.g. {example}", err=True)
        sys.exit(2)
    result = sched.run_job(name, period=period)
    click.echo(f"{result.job} {result.period}: {result.status} {result.detail}")
    if result.status == "failed":
        sys.exit(1)


@points_cli.command("scheduler")
def scheduler() -> None:
    """Run the job scheduler in this process (run exactly one, never inside web workers)."""
    from flask import current_app

    sched.serve(current_app._get_current_object())


def _heads(url: str) -> dict[int, tuple[int, str]]:
    """Each community's chain head (last sequence number, hash) in the database at `url`."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return chain_heads(conn)
    finally:
        engine.dispose()


def _echo_heads(heads: dict[int, tuple[int, str]]) -> None:
    click.echo("chain heads (note these down; after a restore, `verify` prints the same):")
    for community, (seq, head) in sorted(heads.items()):
        click.echo(f"  community {community}: seq {seq} {head}")


@points_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Back the database up to PATH while the service runs (SQLite), or print the pg_dump
    command (PostgreSQL). Prints the chain heads of the copy."""
    engine = get_db().engine
    if engine.dialect.name != "sqlite":
        click.echo("PostgreSQL is backed up with pg_dump, from a consistent snapshot while it serves:")
        click.echo("  " + backups.pg_dump_command(engine.url.render_as_string(hide_password=False), path))
        sys.exit(2)
    if path.exists():
        click.echo(f"{path} exists already; choose a new file", err=True)
        sys.exit(2)
    with click.progressbar(length=100, label="backing up", file=sys.stderr) as bar:
        done = [0]

        def progress(_status, remaining, total):
            percent = 100 * (total - remaining) // max(total, 1)
            bar.update(percent - done[0])
            done[0] = percent

        backups.backup_sqlite(engine, path, progress=progress)
    click.echo(f"backed up to {path}")
    _echo_heads(_heads(f"sqlite:///{path}"))


@points_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--yes", is_flag=True, help="Replace the database without asking (the service must be stopped)."
)
def restore(path: Path, yes: bool) -> None:
    """Put a backup made by `backup` in place of the SQLite database; then run `verify`."""
    engine = get_db().engine
    if engine.dialect.name != "sqlite":
        click.echo("PostgreSQL is restored with pg_restore (see README: Production)", err=True)
        sys.exit(2)
    target = backups.sqlite_path(engine)
    if not yes:
        click.confirm(f"Stop the service first. Replace {target} with {path}?", abort=True)
    engine.dispose()
    backups.restore_sqlite(path, target)
    click.echo(f"restored {path} to {target} (the old file is kept as {target}.before-restore)")
    _echo_heads(_heads(f"sqlite:///{target}"))


def init_app(app: Flask) -> None:

    points_cli.add_command(demo_command)
    points_cli.add_command(verify_command)
    app.cli.add_command(points_cli)
