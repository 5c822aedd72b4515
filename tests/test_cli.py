"""`flask points …`: schema, admin creation and jobs, each command its own committed transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from points.db import make_engine, session
from points.migrate import upgrade
from points.people.models import Person, RoleGrant
from points.scheduler import JobRun
from tests.conftest import fresh_database, get_db_from, make_test_app


@pytest.fixture
def fresh_url(tmp_path):
    with fresh_database(tmp_path, "cli") as url:
        yield url


@pytest.fixture
def committed_app(fresh_url):
    engine = make_engine(fresh_url)
    upgrade(engine)
    engine.dispose()
    app = make_test_app(fresh_url)
    yield app
    get_db_from(app).engine.dispose()


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["points", *args])


def test_db_upgrade_builds_the_schema(fresh_url):
    app = make_test_app(fresh_url)
    try:
        result = invoke(app, "db", "upgrade")

        assert result.exit_code == 0, result.output
        assert "database at head" in result.output
        tables = set(sa.inspect(get_db_from(app).engine).get_table_names())
        assert {"people", "job_runs", "ledger_transfers", "alembic_version"} <= tables
    finally:
        get_db_from(app).engine.dispose()


def test_create_admin_creates_person_with_admin_role(committed_app):
    result = invoke(
        committed_app,
        "create-admin",
        "--phone",
        "13800000001",
        "--name",
        "管理员",
        "--password",
        "secret-pass-1",
    )

    assert result.exit_code == 0, result.output
    assert "admin 13800000001 ready" in result.output
    with committed_app.app_context():
        person = session().exec(select(Person).where(Person.phone == "13800000001")).one()
        assert person.name == "管理员"
        assert person.password_hash and "secret-pass-1" not in person.password_hash
        grants = session().exec(select(RoleGrant).where(RoleGrant.person_id == person.id)).all()
        assert [(g.role, g.node_id, g.unit_id) for g in grants] == [("admin", None, None)]


def test_create_admin_twice_grants_admin_once(committed_app):
    args = ("create-admin", "--phone", "13800000004", "--name", "管理员", "--password", "secret-pass-4")

    assert invoke(committed_app, *args).exit_code == 0
    again = invoke(committed_app, *args)

    assert again.exit_code == 0, again.output
    with committed_app.app_context():
        grants = session().exec(select(RoleGrant).where(RoleGrant.role == "admin")).all()
        assert len(grants) == 1


def test_create_admin_then_log_in(committed_app):
    invoke(
        committed_app,
        "create-admin",
        "--phone",
        "13800000002",
        "--name",
        "管理员",
        "--password",
        "secret-pass-2",
    )

    response = committed_app.test_client().post(
        "/api/v1/auth/token", json={"phone": "13800000002", "password": "secret-pass-2"}
    )

    assert response.status_code in (200, 201), response.json


def test_create_admin_weak_password_fails(committed_app):
    result = invoke(
        committed_app, "create-admin", "--phone", "13800000003", "--name", "管理员", "--password", "x"
    )

    assert result.exit_code == 1
    assert "weak_password" in result.output
    with committed_app.app_context():
        assert session().exec(select(Person).where(Person.phone == "13800000003")).first() is None


def test_jobs_list_shows_registered_jobs(committed_app):
    result = invoke(committed_app, "jobs", "list")

    assert result.exit_code == 0, result.output
    assert "prune_expired" in result.output


def test_jobs_run_twice_skips_second(committed_app):
    first = invoke(committed_app, "jobs", "run", "prune_expired")
    second = invoke(committed_app, "jobs", "run", "prune_expired")

    assert first.exit_code == 0, first.output
    assert ": ok " in first.output
    assert second.exit_code == 0, second.output
    assert ": skipped " in second.output
    with committed_app.app_context():
        runs = session().exec(select(JobRun).where(JobRun.job == "prune_expired")).all()
        assert [run.status for run in runs] == ["ok"]


def test_jobs_run_explicit_period(committed_app):
    result = invoke(committed_app, "jobs", "run", "prune_expired", "--period", "2020-01-01")

    assert result.exit_code == 0, result.output
    assert result.output.startswith("prune_expired 2020-01-01: ok")


def test_jobs_run_unknown_job_fails(committed_app):
    result = invoke(committed_app, "jobs", "run", "no_such_job")

    assert result.exit_code != 0
    assert "no job named 'no_such_job'" in result.output


def test_jobs_run_refuses_a_malformed_period(committed_app):
    result = invoke(committed_app, "jobs", "run", "verify_ledger", "--period", "garbage")
    assert result.exit_code == 2
    assert "not a daily period" in result.output


def test_jobs_list_says_when_in_words(committed_app):
    result = invoke(committed_app, "jobs", "list")
    assert "verify_ledger" in result.output and "daily at 02:30" in result.output
