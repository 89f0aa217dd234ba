"""Locks keyed on the service database itself, held for a process's lifetime and released by
the operating system or the database server when the process dies for any reason.

- **SQLite file store**: an exclusive ``flock`` on ``<real path of the database>.locks/
  <name>.lock``. The real path resolves ``..``, symlinks and relative spellings, so every URL
  that reaches the same file reaches the same lock, whatever ``state_dir`` a process uses.
  (flock, not the database file's own POSIX locks: those belong to SQLite.)
- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) on a dedicated
  connection to the store, so processes on different hosts see each other; the server drops
  it when that session ends (process killed, host gone: TCP keepalives end the session).
- **In-memory SQLite**: a lock inside this process (such a store cannot be shared anyway).

:class:`StoreLock` is one named lock; :func:`lock_is_held` asks whether anyone (this process
included) holds a name; :func:`process_lease` is this process's own lease, whose name tags
what the process leaves behind (job runs, MLflow runs) so that others can tell a live owner
from a dead one. A forked child (backtest workers) lets go of its inherited copies at fork,
so that a killed parent's locks are not kept alive by its children.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import re
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from forecasting.errors import StoreError
from forecasting.masking import mask_url
from forecasting.store_locks_pg import pg_connect, pg_error, pg_holder, pg_key

__all__ = [
    "StoreLock",
    "lock_is_held",
    "process_lease",
    "prune_process_locks",
    "store_identity",
]

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_PROCESS_PREFIX = "process-"
_held: dict[str, StoreLock] = {}  # every lock this process holds, by key
_memory: set[str] = set()
_registry_lock = threading.Lock()
_lease_lock = threading.Lock()  # one lease per store, however many threads ask at once
_leases: dict[str, StoreLock] = {}


def _sqlite_path(url: sa.URL) -> Path | None:
    """The real path of a SQLite file store (a ``file:`` URI's path too); None in memory."""
    db = url.database or ""
    if db.startswith("file:"):
        db = db[len("file:") :].split("?", 1)[0].removeprefix("//localhost").removeprefix("//")
        if "mode=memory" in (url.database or "") or url.query.get("mode") == "memory":
            return None
    if db in ("", ":memory:"):
        return None
    return Path(os.path.realpath(db))


def store_identity(database_url: str) -> str:
    """The database itself, whatever the URL's spelling: the SQLite file's real path, or a
    PostgreSQL server and database (no credentials)."""
    from forecasting.db import store_url

    url = store_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        return f"sqlite:{path}" if path else f"sqlite-memory:{os.getpid()}"
    host = url.host or url.query.get("host") or "localhost"
    return f"postgresql://{host}:{url.port or url.query.get('port') or 5432}/{url.database}"


def _file_name(name: str) -> str:
    if _SAFE.match(name):
        return f"{name}.lock"
    prefix = _PROCESS_PREFIX if name.startswith("process:") else "lock-"
    return f"{prefix}{hashlib.sha256(name.encode()).hexdigest()[:24]}.lock"


class StoreLock:
    """An exclusive lock ``name`` on the database of ``database_url`` (see the module doc)."""

    def __init__(self, database_url: str, name: str) -> None:
        from forecasting.db import store_url

        self.database_url = database_url
        self.name = name
        self.url = store_url(database_url)
        self.key = f"{store_identity(database_url)}#{name}"
        self.path: Path | None = None
        self.backend = self.url.get_backend_name()
        db = _sqlite_path(self.url) if self.backend == "sqlite" else None
        if db is not None:
            self.path = db.with_name(db.name + ".locks") / _file_name(name)
        self._file: Any = None
        self._conn: Any = None
        self._mem = False

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._file is not None or self._conn is not None or self._mem

    @property
    def where(self) -> str:
        """Where the lock lives, for messages."""
        if self.path is not None:
            return f"lock file {self.path}"
        if self.backend == "postgresql":
            return f"PostgreSQL advisory lock {pg_key(self.name)} on {mask_url(str(self.url))}"
        return "in-process lock (in-memory store)"

    def try_acquire(self, what: str = "") -> bool:
        """Take the lock if it is free (``what`` is recorded for the refusal message of
        others); ``False`` when another process or lock object holds it.

        Raises:
            StoreError: the lock folder cannot be created or the database cannot be reached.
        """
        if self.held:
            return True
        if self.path is not None:
            ok = self._try_file(what)
        elif self.backend == "postgresql":
            ok = self._try_pg(what)
        else:
            with _registry_lock:
                ok = self.key not in _memory
                if ok:
                    _memory.add(self.key)
            self._mem = ok
        if ok:
            with _registry_lock:
                _held[self.key] = self
        return ok

    def _try_file(self, what: str) -> bool:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            while True:
                handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    return False
                try:  # the file may have been pruned between open and flock: lock the new one
                    same = os.stat(self.path).st_ino == os.fstat(handle.fileno()).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    break
                handle.close()
            handle.seek(0)
            handle.truncate()
            handle.write(_holder_text(what))
            handle.flush()
        except OSError as exc:
            raise StoreError(
                f"cannot take the lock {str(self.path)!r} ({exc.strerror or exc}); is the "
                "store's folder writable?"
            ) from None
        self._file = handle
        return True

    def _try_pg(self, what: str) -> bool:
        conn = pg_connect(self.database_url, f"forecasting {self.name} {what}")
        try:
            query = sa.text("SELECT pg_try_advisory_lock(:k)")
            got = conn.execute(query, {"k": pg_key(self.name)})
            if got.scalar():
                self._conn = conn
                return True
        except sa.exc.DBAPIError as exc:
            conn.close()
            raise pg_error(self.database_url, exc) from None
        conn.close()
        return False

    def acquire(self, what: str = "") -> StoreLock:
        """:meth:`try_acquire` or :class:`StoreError` naming the holder."""
        if not self.try_acquire(what):
            raise StoreError(f"{self.name} is held by {self.holder() or 'another process'}")
        return self

    def check(self) -> bool:
        """Whether the lock is still held (a PostgreSQL session can be lost with its lock)."""
        if self._conn is None:
            return self.held
        try:
            self._conn.execute(sa.text("SELECT 1"))
            return True
        except (sa.exc.DBAPIError, StoreError):
            return False

    def release(self, *, remove: bool = False) -> None:
        """Let go (``remove``: delete the lock file too, for a name never used again)."""
        with _registry_lock:
            if _held.get(self.key) is self:
                del _held[self.key]
            if self._mem:
                _memory.discard(self.key)
        self._mem = False
        if self._file is not None:
            try:
                if remove and self.path is not None:
                    self.path.unlink(missing_ok=True)
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None
        if self._conn is not None:
            with contextlib.suppress(sa.exc.DBAPIError):
                self._conn.close()
            self._conn = None

    def holder(self) -> str:
        """Who holds (or last held) the lock: pid, host and since when, where known."""
        if self.path is not None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError:
                return ""
            fields = dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)
            return _describe(fields)
        if self.backend != "postgresql":
            return "this process" if self.key in _memory else ""
        return pg_holder(self.database_url, pg_key(self.name))


def _holder_text(what: str) -> str:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return f"pid={os.getpid()}\nhost={socket.gethostname()}\nstarted={started}\nwhat={what}\n"


def _describe(fields: dict[str, str]) -> str:
    parts = []
    if "pid" in fields:
        parts.append(f"pid {fields['pid']}")
    if fields.get("host"):
        parts.append(f"on {fields['host']}")
    if fields.get("started"):
        parts.append(f"since {fields['started']}")
    return " ".join(parts)


def lock_is_held(database_url: str, name: str) -> bool:
    """Whether any process (this one included) holds the lock ``name`` on this database."""
    lock = StoreLock(database_url, name)
    with _registry_lock:
        if lock.key in _held or lock.key in _memory:
            return True
    if lock.path is not None:
        try:
            with open(lock.path, encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                return False
        except FileNotFoundError:
            return False
    if lock.backend == "postgresql":
        return bool(pg_holder(database_url, pg_key(name)))
    return False


def process_lease(database_url: str) -> StoreLock:
    """This process's lease on the store (taken once, held until it exits); its ``name``
    identifies the process to others (:func:`lock_is_held`)."""
    identity = store_identity(database_url)
    with _lease_lock:
        lease = _leases.get(identity)
        if lease is not None and lease.held:
            return lease
        name = f"process:{socket.gethostname()}:{os.getpid()}:{time.time_ns() // 1_000_000}"
        lease = StoreLock(database_url, name).acquire("lease")
        _leases[identity] = lease
        return lease


def prune_process_locks(database_url: str, older_than: float = 60.0) -> int:
    """Delete the lock files of dead processes' leases (SQLite); returns how many."""
    probe = StoreLock(database_url, "process:probe")
    if probe.path is None or not probe.path.parent.is_dir():
        return 0
    removed = 0
    for path in probe.path.parent.glob(f"{_PROCESS_PREFIX}*.lock"):
        try:
            if time.time() - path.stat().st_mtime < older_than:
                continue
            with open(path, encoding="utf-8") as handle:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                path.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed


def _release_all() -> None:
    for lock in list(_held.values()):
        lock.release(remove=lock.name.startswith("process:"))


def _forget_in_child() -> None:
    """After fork: the child must not keep its parent's locks alive. Point the inherited
    descriptors at /dev/null (closing them would free numbers the objects still use) and
    forget them."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for lock in list(_held.values()):
        for fd in _fds(lock):
            with contextlib.suppress(OSError):
                os.dup2(devnull, fd)
        lock._file = lock._conn = None  # noqa: SLF001
        lock._mem = False  # noqa: SLF001
    os.close(devnull)
    _held.clear()
    _memory.clear()
    _leases.clear()
    global _registry_lock, _lease_lock  # another thread may have held them at the fork
    _registry_lock, _lease_lock = threading.Lock(), threading.Lock()


def _fds(lock: StoreLock) -> list[int]:
    out = []
    if lock._file is not None:  # noqa: SLF001
        out.append(lock._file.fileno())  # noqa: SLF001
    if lock._conn is not None:  # noqa: SLF001
        with contextlib.suppress(AttributeError, sa.exc.DBAPIError):
            out.append(lock._conn.connection.dbapi_connection.fileno())  # noqa: SLF001
    return out


atexit.register(_release_all)
os.register_at_fork(after_in_child=_forget_in_child)
