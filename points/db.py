"""Engine, sessions and the transaction boundary shared by requests, commands and jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from points.errors import Conflict, DomainError

# Named constraints: SQLite batch migrations need names to alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Times are stored in UTC; days, years and what people read are in the community's zone.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes on both backends (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Let operators write plain postgresql:// URLs; we always talk psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    # 64 MB of page cache rather than SQLite's 2 MB: a year's ranking or settlement groups a
    # ledger of a million rows, and with the small cache its temporary trees went to disk. The
    # cache fills only as pages are read, so a small database stays small in memory.
    "PRAGMA cache_size=-65536",
)


def make_engine(url: str, *, echo: bool = False, busy_timeout_ms: int = 5000, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        # A request never waits on a lock for ever: after the timeout it fails with a
        # retryable error (503 busy_retry), like SQLite's busy timeout.
        return sa.create_engine(
            url,
            echo=echo,
            # No ping per checkout (a round trip on every request): a connection the server
            # dropped fails its first statement, which invalidates the pool, and the request
            # answers 503 busy_retry (errors.is_transient) for the client to retry.
            pool_recycle=1800,
            pool_size=pool_size,
            max_overflow=2 * pool_size,
            # JIT off: the service's queries are short, and once the planner's estimate passes
            # jit_above_cost compiling alone took hundreds of milliseconds of a request. A report
            # that benefits may `SET LOCAL jit = on` in its own transaction.
            connect_args={"options": f"-c lock_timeout={int(busy_timeout_ms)} -c jit=off"},
            # Every transaction here ends in an explicit COMMIT or ROLLBACK (sessions, `with
            # connection.begin()`, Connection.close()): the pool's own rollback on each return
            # would be one more round trip per request.
            pool_reset_on_return=None,
        )

    engine = sa.create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        # Every transaction here ends in an explicit COMMIT or ROLLBACK (sessions, `with
        # connection.begin()`, Connection.close()), so the pool's own rollback on each
        # return is a wasted statement per request.
        pool_reset_on_return=None,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection, _record):
        # The driver's own transaction handling would open deferred transactions
        # that fail with SQLITE_BUSY on their first write instead of waiting.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Connection):
        # IMMEDIATE takes the write lock up front, so a transaction that reads
        # then writes waits on the busy timeout rather than failing mid-way.
        # A read-only snapshot (see `snapshot`) takes no lock: WAL gives it a
        # consistent view while writers go on. Straight to the driver: this runs
        # at the start of every transaction.
        deferred = conn.get_execution_options().get("read_only_snapshot")
        conn.connection.dbapi_connection.execute("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


class Database:
    """The app's engine, plus what sessions bind to (a test may pin a connection)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bind: Engine | Connection = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self) -> Session:
        if isinstance(self.bind, Connection):
            return Session(bind=self.bind, join_transaction_mode="create_savepoint", expire_on_commit=False)
        return Session(self.engine, expire_on_commit=False)


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL")
    if url:
        return url
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'points.sqlite3'}"


def init_app(app: Flask) -> None:
    engine = make_engine(
        database_url(app),
        echo=app.config.get("SQL_ECHO", False),
        busy_timeout_ms=app.config.get("LOCK_TIMEOUT_MS", 5000),
        pool_size=app.config.get("DB_POOL_SIZE", 10),
    )
    app.extensions["points_db"] = Database(engine)

    @app.after_request
    def _commit_or_rollback(response):
        # The request is the transaction boundary: commit only what succeeded,
        # so a failed request changes nothing.
        scope = _scope()
        sess = scope.pop(_KEY, None)
        outcome = scope.pop(_OUTCOME, None)
        if sess is not None:
            try:
                succeeded = response.status_code < 400 and outcome != "rollback"
                if succeeded or outcome == "keep":
                    sess.commit()
                else:
                    sess.rollback()
            finally:
                sess.close()
        return response

    @app.teardown_request
    def _close_request(_exc):
        _discard(request.environ)

    @app.teardown_appcontext
    def _close(_exc):
        _discard(g.__dict__)


_KEY = "points.db_session"
_OUTCOME = "points.db_outcome"


def roll_back_request() -> None:
    """The request was refused although its page answers 2xx or 3xx (a form shown again, a
    redirect with the reason flashed): undo what it wrote now, so the page can still read
    (PostgreSQL refuses reads in a failed transaction), and commit nothing at the boundary."""
    scope = _scope()
    scope[_OUTCOME] = "rollback"
    sess = scope.get(_KEY)
    if sess is not None:
        sess.rollback()


def commit_now() -> None:
    """Commit what the request wrote so far, now rather than at its end: the locks it holds are
    released without waiting for the rest of the response's handling. Whatever it writes
    afterwards is committed (or rolled back) at the end as usual."""
    sess = _scope().get(_KEY)
    if sess is not None:
        sess.commit()


def keep_on_failure() -> None:
    """Commit what the request wrote although it answers an error (a failed login still counts)."""
    _scope()[_OUTCOME] = "keep"


def _scope() -> dict:
    """Where the current unit of work keeps its session: the request if there is one
    (an app context may outlive many requests, e.g. in tests), else the app context."""
    return request.environ if has_request_context() else g.__dict__


def _discard(scope: dict) -> None:
    scope.pop(_OUTCOME, None)
    sess = scope.pop(_KEY, None)
    if sess is not None:
        sess.rollback()
        sess.close()


def get_db() -> Database:
    return current_app.extensions["points_db"]


def session() -> Session:
    """The session of the current request, command or job."""
    scope = _scope()
    sess = scope.get(_KEY)
    if sess is None:
        sess = scope[_KEY] = get_db().new_session()
    return sess


def insert_many(table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows (all with the same keys, in the same order) in the session's transaction
    through the driver: on PostgreSQL one statement taking one array per column, on SQLite one
    prepared statement run per row. Bulk actions write hundreds of audit entries and notices at once, where
    building each row's parameters through SQLAlchemy cost more than writing it."""
    if not rows:
        return
    conn = session().connection()
    columns = list(rows[0])
    names = ", ".join(columns)
    # Driver SQL, not the raw cursor: statement listeners (counting, logging) still see it.
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"%({c})s::{_pg_type(table.c[c].type)}[]" for c in columns)
        params = {c: [_pg_value(row[c]) for row in rows] for c in columns}
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})", params)
        return
    marks = ", ".join(["?"] * len(columns))
    converters = [_sqlite_converter(table.c[c].type) for c in columns]
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",
        [
            tuple(
                value if convert is None else convert(value)
                for value, convert in zip(row.values(), converters, strict=True)
            )
            for row in rows
        ],
    )


def _pg_type(column_type) -> str:
    if isinstance(column_type, sa.JSON):
        return "json"
    if isinstance(column_type, UTCDateTime):
        return "timestamptz"
    if isinstance(column_type, sa.Boolean):
        return "boolean"
    if isinstance(column_type, sa.Integer):
        return "bigint"
    return "text"


def _pg_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _sqlite_converter(column_type):
    """What SQLAlchemy would store on SQLite: UTC times as its text form, JSON as text."""
    if isinstance(column_type, UTCDateTime):
        return _sqlite_time
    if isinstance(column_type, sa.JSON):
        return json.dumps
    if isinstance(column_type, sa.Boolean):
        return _sqlite_flag
    return None


@lru_cache(maxsize=64)  # a bulk action stamps every row with the same time
def _sqlite_time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def get_row(model: type[SQLModel], row_id: int, missing: DomainError, *, lock: bool = False):
    """The row of `model` with this id; raises `missing` when there is none. With `lock` it is
    read afresh and held until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's write
    transaction is the lock), so what the caller checks is what it changes."""
    if lock:
        query = sa.select(model).where(model.id == row_id).with_for_update()
        row = session().execute(query.execution_options(populate_existing=True)).scalars().first()
    else:
        row = session().get(model, row_id)
    if row is None:
        raise missing
    return row


@contextmanager
def snapshot() -> Iterator[Session]:
    """Reads on one consistent, read-only view of the database (e.g. verifying the ledger
    while postings go on); `session()` is this view inside the block."""
    database = get_db()
    if isinstance(database.bind, Connection):
        # Everything already runs on one connection (tests): that is the view.
        yield session()
        return
    connection = database.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        connection = connection.execution_options(read_only_snapshot=True)
    view = Session(bind=connection, expire_on_commit=False)
    scope = _scope()
    previous = scope.get(_KEY)
    scope[_KEY] = view
    try:
        yield view
    finally:
        if previous is None:
            scope.pop(_KEY, None)
        else:
            scope[_KEY] = previous
        view.rollback()
        view.close()
        connection.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """A unit of work outside a request (a command, a job): commit once or roll back."""
    sess = session()
    try:
        yield sess
        sess.commit()
    except BaseException:
        sess.rollback()
        raise


def flush_or_conflict(message: str, code: str = "duplicate", *, add=None) -> None:
    """Flush, turning a unique-key violation into a 409 the client can act on.

    Pass the new row as `add`: it joins the session inside the savepoint, so a refused
    insert rolls back to it and the rest of the transaction stays usable. (Rows already
    pending are flushed before the savepoint begins, and changes to existing rows with
    them: a conflict there still spoils the transaction, which the request then rolls back.)
    """
    sess = session()
    try:
        with sess.begin_nested():
            if add is not None:
                sess.add(add)
            sess.flush()
    except IntegrityError as exc:
        raise Conflict(code, message) from exc
