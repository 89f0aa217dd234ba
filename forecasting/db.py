"""The service's own database (SQLite by default, PostgreSQL by configuration): one schema.

Opening the store (:func:`make_engine`):

- the URL is checked first: a malformed URL, an unsupported scheme or a missing driver is a
  :class:`~forecasting.errors.ConfigError` (passwords masked in the message); a bare
  ``postgresql://`` uses psycopg2 (the ``postgres`` extra) when psycopg 3 is not installed;
- SQLite waits up to :data:`BUSY_TIMEOUT_SECONDS` for a lock held by another process (the
  sqlite3 default is 5 s) and a file store runs in WAL mode (readers and one writer at a time
  do not block each other); SQLAlchemy, not the sqlite3 driver, emits ``BEGIN`` so that DDL
  is transactional and a write can start with ``BEGIN IMMEDIATE``;
- every database failure (a garbage or truncated file, a read-only folder, a lock held too
  long, an unreachable server) is a one-line :class:`~forecasting.errors.StoreError`;
- the schema is created idempotently inside :func:`write_transaction`, so that many
  processes starting at once on a fresh store each see it created exactly once.

:func:`write_transaction` is the one way to write: one transaction that holds the store's
write lock from its first statement (SQLite ``BEGIN IMMEDIATE``; PostgreSQL a transaction
advisory lock), so that a check-then-insert (an import's conflict check, the snapshot load)
never races another process.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from forecasting.errors import ConfigError, StoreError
from forecasting.masking import mask_url
from forecasting.tables import meta_table, metadata

__all__ = [
    "BUSY_TIMEOUT_SECONDS",
    "make_engine",
    "read_meta",
    "store_url",
    "write_meta",
    "write_transaction",
]

#: how long a process waits for another one's write lock before giving up with a StoreError
BUSY_TIMEOUT_SECONDS = 30.0
#: the PostgreSQL advisory lock key that serialises the service's writes (any fixed number)
_PG_WRITE_LOCK = 0x43_54_52_44  # "CTRD"
_BACKENDS = ("sqlite", "postgresql")


def read_meta(bind: Engine | Connection, key: str) -> str | None:
    """The ``service_meta`` value stored under ``key`` (None if absent)."""
    query = sa.select(meta_table.c.value).where(meta_table.c.key == key)
    if isinstance(bind, Connection):
        return bind.execute(query).scalar_one_or_none()
    with bind.connect() as conn:
        return conn.execute(query).scalar_one_or_none()


def write_meta(bind: Engine | Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in ``service_meta``, replacing any earlier value (in the
    given connection's transaction, or in a write transaction of its own)."""
    if isinstance(bind, Connection):
        bind.execute(meta_table.delete().where(meta_table.c.key == key))
        bind.execute(meta_table.insert().values(key=key, value=value))
        return
    with write_transaction(bind) as conn:
        write_meta(conn, key, value)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the store's write lock from its start; commits on success,
    rolls back on any exception (which propagates).

    SQLite: ``BEGIN IMMEDIATE`` (another writer waits up to the busy timeout). PostgreSQL: a
    transaction-scoped advisory lock, waited for up to the same timeout.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            if engine.dialect.name == "postgresql":
                ms = int(BUSY_TIMEOUT_SECONDS * 1000)
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK})
            yield conn


def store_url(url: str) -> sa.URL:
    """The parsed store URL.

    Raises:
        ConfigError: a malformed URL, or a scheme other than sqlite or postgresql, or a
            driver that is not installed (the URL shown with its password masked).
    """
    shown = mask_url(url)
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(
            f"the service store URL {shown!r} is not a database URL "
            "(expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    if parsed.get_backend_name() not in _BACKENDS:
        raise ConfigError(
            f"the service store URL {shown!r} has an unsupported scheme "
            f"{parsed.drivername!r}; supported: sqlite:///PATH, postgresql://USER@HOST/DB"
        )
    if parsed.drivername == "postgresql" and not _installed("psycopg") and _installed("psycopg2"):
        # SQLAlchemy 2.1 defaults to psycopg 3; the 'postgres' extra installs psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg2")
    try:
        parsed.get_dialect()
    except sa.exc.NoSuchModuleError:
        raise ConfigError(
            f"the service store URL {shown!r} names an unknown driver {parsed.drivername!r}"
        ) from None
    return parsed


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def make_engine(url: str) -> Engine:
    """Engine for ``url`` with the schema created (idempotent, safe under concurrency); a
    SQLite file's folder is created too.

    Raises:
        ConfigError: a malformed URL, an unsupported scheme or a missing driver.
        StoreError: the store cannot be opened, read or written.
    """
    parsed = store_url(url)
    shown = mask_url(url)
    sqlite_file = _sqlite_file(parsed)
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = BUSY_TIMEOUT_SECONDS
        if sqlite_file is not None:
            try:
                sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"service store {shown}: cannot create its folder {str(sqlite_file.parent)!r}"
                    f" ({exc.strerror or exc})"
                ) from None
            if sqlite_file.is_dir():
                raise StoreError(f"service store {shown}: {str(sqlite_file)!r} is a directory")
    elif "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = int(BUSY_TIMEOUT_SECONDS)
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
    except ImportError as exc:
        raise ConfigError(
            f"the service store URL {shown!r} needs a database driver that is not installed "
            f"({exc}); for PostgreSQL install the 'postgres' extra"
        ) from None
    _install_store_events(engine, shown, wal=sqlite_file is not None)
    create_schema(engine)
    return engine


def create_schema(engine: Engine) -> None:
    """Create the missing tables, once, under the write lock (a store that has them all is
    only read, so a read-only store still opens)."""
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
    if set(metadata.tables) <= present:
        return
    with write_transaction(engine) as conn:
        metadata.create_all(conn)


def _sqlite_file(url: sa.URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or another backend."""
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        return None
    return Path(db)


def _install_store_events(engine: Engine, shown: str, *, wal: bool) -> None:
    """SQLite: busy timeout, WAL, and SQLAlchemy-emitted BEGIN; all backends: database
    errors turned into StoreError."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
            dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN (see _on_begin)
            cur = dbapi_conn.cursor()
            try:
                cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
                if wal:
                    _enable_wal(cur)
            finally:
                cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "")
            conn.exec_driver_sql(f"BEGIN {mode}".strip())

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx) -> None:  # noqa: ANN001
        if isinstance(ctx.original_exception, StoreError) or isinstance(
            ctx.sqlalchemy_exception, sa.exc.IntegrityError
        ):
            return  # a constraint violation is for the caller to handle (APScheduler does)
        if isinstance(ctx.sqlalchemy_exception, sa.exc.DBAPIError) or isinstance(
            ctx.original_exception, sqlite3.Error
        ):
            raise StoreError(store_error_message(shown, ctx.original_exception)) from (
                ctx.original_exception
            )


def _enable_wal(cur: sqlite3.Cursor) -> None:
    """Switch a file store to WAL (persistent; a no-op once done). A store that cannot be
    written (a read-only folder) stays in its journal mode and can still be read."""
    try:
        cur.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "read-only" not in str(exc):
            raise


def store_error_message(shown: str, exc: BaseException) -> str:
    """One line saying what is wrong with the store at ``shown`` (a masked URL)."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    low = detail.lower()
    if "database is locked" in low or "lock timeout" in low:
        hint = (
            f"another process held the store's lock for more than {BUSY_TIMEOUT_SECONDS:g} s; "
            "try again when it is done"
        )
    elif "not a database" in low or "malformed" in low:
        hint = (
            "the file is not a readable SQLite database (corrupt or truncated); restore it "
            "from a backup or move it away to start a fresh store"
        )
    elif "readonly" in low or "read-only" in low:
        hint = "the store cannot be written (is its folder writable?)"
    elif "unable to open" in low:
        hint = "the store file cannot be opened (does its folder exist and is it writable?)"
    elif (
        "could not connect" in low
        or "could not translate host name" in low
        or ("connection" in low and ("failed" in low or "timeout" in low))
    ):
        hint = "the database server cannot be reached"
    else:
        hint = "the store cannot be read or written"
    return mask_url(f"service store {shown}: {hint} ({detail})")
