"""Running the Alembic migrations in migrations/ against the app's database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine_or_connection, revision: str = "head") -> None:
    if isinstance(engine_or_connection, Connection):
        command.upgrade(alembic_config(engine_or_connection), revision)
        return
    with engine_or_connection.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), revision)
