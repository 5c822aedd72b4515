"""Backing up and restoring the embedded SQLite database.

SQLite's online backup API copies a consistent snapshot while the service keeps serving
(writers wait a moment, readers never). PostgreSQL is backed up with `pg_dump` (see README:
Production); `flask points backup` prints the exact command there.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def sqlite_path(engine: Engine) -> Path:
    return Path(engine.url.database or "")


def backup_sqlite(engine: Engine, target: Path, *, pages_per_step: int = 1024, progress=None) -> None:
    """Copy the live database to `target` (a new file) with the online backup API."""
    if target.exists():
        raise FileExistsError(target)
    source = sqlite3.connect(sqlite_path(engine), timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy, pages=pages_per_step, progress=progress)
    finally:
        copy.close()
        source.close()


def restore_sqlite(backup: Path, target: Path) -> None:
    """Put a backup in place of the database file (the service must be stopped): the old file
    and its WAL are moved aside as `<name>.before-restore`, never deleted."""
    check = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError(f"{backup} is damaged")
    finally:
        check.close()
    for suffix in ("", "-wal", "-shm"):
        old = Path(f"{target}{suffix}")
        if old.exists():
            old.replace(f"{old}.before-restore")
    shutil.copyfile(backup, target)


def pg_dump_command(url: str, target: Path) -> str:
    """The exact command that backs a PostgreSQL database up (custom format, for pg_restore)."""
    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return f"pg_dump --format=custom --no-owner --no-privileges --file={target} '{plain}'"
