"""Alembic environment: every model module is imported; SQLite uses batch mode."""

import warnings

from alembic import context

from points.models import load_all

target_metadata = load_all().metadata

# SQLite cannot reflect expression indexes; batch migrations there warn about it on every
# run. tests/test_migrations.py checks by name that those indexes exist after upgrade.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    # Plain `alembic` on the command line: build the app's engine from the settings.
    from points.app import create_app
    from points.db import get_db
    from points.migrate import migration_connection

    app = create_app()
    with app.app_context(), migration_connection(get_db().engine) as conn:
        run_with(conn)


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
