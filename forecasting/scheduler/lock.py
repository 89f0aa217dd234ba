"""One scheduler per store: an OS file lock (``fcntl.flock``) keyed by the database URL.

APScheduler 3.x job stores cannot be shared between running schedulers: two processes would
both pick up a due job and run it twice. ``schedule start`` therefore takes an exclusive,
non-blocking ``flock`` on ``<state_dir>/scheduler-<hash of the database URL>.lock`` and holds
it for its lifetime. The kernel drops the lock when the process exits for any reason (clean
stop, crash, ``kill -9``), so a crashed scheduler never leaves it stuck; the file itself stays
and only records who held it last (pid, start time, store) for the refusal message.

Scope: processes on one host sharing ``state_dir``. That covers the default SQLite store (a
file on that host). A PostgreSQL store reached from several hosts needs a database lease
instead (a row with holder, heartbeat and expiry); run one scheduler host until then.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from forecasting.errors import ScheduleError

__all__ = ["SchedulerLock", "lock_path", "masked_url"]


def masked_url(url: str) -> str:
    """The database URL with any password hidden (safe to print and log)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - any unparsable URL is shown as its scheme only
        return url.split("://", 1)[0] + "://…"


def lock_path(state_dir: Path, database_url: str) -> Path:
    """The lock file for a store: one per database URL."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return Path(state_dir) / f"scheduler-{digest}.lock"


class SchedulerLock:
    """Exclusive, process-lifetime lock on a job store; a context manager.

    Raises:
        ScheduleError: from :meth:`acquire` when another process holds the lock.
    """

    def __init__(self, state_dir: Path, database_url: str) -> None:
        self.path = lock_path(state_dir, database_url)
        self.database_url = database_url
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Take the lock if free; ``False`` when another process holds it."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"pid={os.getpid()}\nstarted={datetime.now(UTC).isoformat(timespec='seconds')}\n"
            f"store={masked_url(self.database_url)}\n"
        )
        handle.flush()
        self._file = handle
        return True

    def acquire(self) -> SchedulerLock:
        if not self.try_acquire():
            raise ScheduleError(
                f"another scheduler is already running on {masked_url(self.database_url)} "
                f"({self.holder() or 'holder unknown'}); lock file {self.path}. "
                "Stop it first (SIGINT/SIGTERM); one scheduler per store."
            )
        return self

    def release(self) -> None:
        if self._file is None:
            return
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        finally:
            self._file.close()
            self._file = None

    def holder(self) -> str:
        """Who holds (or last held) the lock, as recorded in the file."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return ""
        fields = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and line.strip()
        )
        parts = [f"pid {fields['pid']}" if "pid" in fields else ""]
        if "started" in fields:
            parts.append(f"since {fields['started']}")
        return " ".join(p for p in parts if p)

    def __enter__(self) -> SchedulerLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
