"""The Alembic migrations build exactly the models' schema, with the ledger triggers, both ways."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from points.migrate import downgrade, upgrade
from points.models import load_all
from tests.conftest import fresh_engine
from tests.ledger.triggers import TRIGGER_NAMES, trigger_names


@pytest.fixture
def engine(tmp_path):
    with fresh_engine(tmp_path, "migrations") as engine:
        yield engine


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, load_all().metadata)


def table_names(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_head_matches_models(engine):
    upgrade(engine)

    assert schema_differences(engine) == []


def test_upgrade_head_creates_check_constraints(engine):
    # Autogenerate never compares CHECK constraints, so compare their names here.
    upgrade(engine)
    inspector = sa.inspect(engine)

    for table in load_all().metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == expected, table.name


def test_comparison_notices_a_missing_index(engine):
    # Guards the test above against comparing nothing.
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_people_grid_id")

    differences = schema_differences(engine)

    assert [(d[0], d[1].name) for d in differences] == [("add_index", "ix_people_grid_id")]


def test_upgrade_head_creates_ledger_triggers(engine):
    upgrade(engine)

    with engine.connect() as connection:
        assert set(TRIGGER_NAMES) <= trigger_names(connection)
        if connection.dialect.name == "postgresql":
            assert "ledger_transfers_no_truncate" in trigger_names(connection)


def test_downgrade_base_then_upgrade_head(engine):
    upgrade(engine)

    downgrade(engine, "base")
    assert table_names(engine) == set()

    upgrade(engine)
    assert table_names(engine) == set(load_all().metadata.tables)
    assert schema_differences(engine) == []
    with engine.connect() as connection:
        assert set(TRIGGER_NAMES) <= trigger_names(connection)


def test_upgrade_head_creates_expression_indexes(engine):
    # SQLite cannot reflect expression indexes, so autogenerate skips them there: look by name.
    upgrade(engine)
    expected = {
        index.name
        for table in load_all().metadata.sorted_tables
        for index in table.indexes
        if any(isinstance(expr, sa.TextClause) for expr in index.expressions)
    }
    assert expected == {"uq_role_grants_scope", "uq_org_nodes_sibling_name"}
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        found = {row[0] for row in connection.exec_driver_sql(query)}
    assert expected <= found


def test_duplicate_whole_tree_grant_is_refused_by_the_database(engine):
    upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO people (phone, name, is_party_member, is_suspended, must_change_password, created_at)"
            " VALUES ('13800000001', 'a', false, false, false, CURRENT_TIMESTAMP)"
        )
        insert = (
            "INSERT INTO role_grants (person_id, role, created_at) VALUES (1, 'admin', CURRENT_TIMESTAMP)"
        )
        connection.exec_driver_sql(insert)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.exec_driver_sql(insert)


def test_upgrade_of_a_database_with_data(engine):
    # Batch migrations on SQLite rebuild tables that other rows point at.
    upgrade(engine, "0002")
    with engine.begin() as connection:
        run = connection.exec_driver_sql
        run(
            "INSERT INTO org_nodes (id, parent_id, level, name, path, created_at)"
            " VALUES (1, NULL, 'city', 'c', '/1/', CURRENT_TIMESTAMP)"
        )
        run(
            "INSERT INTO org_nodes (id, parent_id, level, name, path, created_at)"
            " VALUES (2, 1, 'district', 'd', '/1/2/', CURRENT_TIMESTAMP)"
        )
        run(
            "INSERT INTO people (id, phone, name, community_id, is_party_member, is_suspended, failed_logins,"
            " created_at) VALUES (1, '13800000001', 'p', 2, false, false, 0, CURRENT_TIMESTAMP)"
        )
        run(
            "INSERT INTO role_grants (person_id, role, node_id, created_at) VALUES (1, 'staff', 2, CURRENT_TIMESTAMP)"
        )
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM role_grants").scalar_one() == 1
        assert connection.exec_driver_sql("SELECT path FROM org_nodes WHERE id = 2").scalar_one() == "/1/2/"
    assert schema_differences(engine) == []


def test_migrations_never_import_application_code():
    # Frozen history: a migration that imports the app changes whenever the app does.
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    offenders = [
        path.name
        for path in sorted(versions.glob("*.py"))
        if any(
            line.startswith(("import points", "from points"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
