"""One scheduler per database, whatever the URL's spelling.

APScheduler 3.x job stores cannot be shared between running schedulers: two processes would
both pick up a due job and run it twice. ``schedule start`` therefore holds the store lock
``scheduler`` (:class:`~forecasting.store_locks.StoreLock`) for its lifetime, keyed on the
database itself:

- SQLite: ``flock`` on ``<real path of the database file>.locks/scheduler.lock``, so
  ``sqlite:///.state/../.state/forecasting.db``, a symlink to the file or another project
  folder's configuration naming the same file all meet the same lock;
- PostgreSQL: a session-level advisory lock on a dedicated connection to the store, seen from
  every host (the server drops it when the session ends: process killed, host gone).

Either way the lock goes with the process, whatever ends it (clean stop, crash, ``kill -9``),
so it never stays stuck; the refusal names the holder (pid, host, since when).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import TracebackType

from forecasting.errors import ScheduleError
from forecasting.masking import mask_url
from forecasting.store_locks import StoreLock

__all__ = ["SCHEDULER_LOCK", "SchedulerLock"]

SCHEDULER_LOCK = "scheduler"


class SchedulerLock:
    """Exclusive, process-lifetime lock on a store's scheduler; a context manager.

    Raises:
        ScheduleError: from :meth:`acquire` when another process holds the lock.
        StoreError: the lock cannot be taken at all (folder not writable, server down).
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._lock = StoreLock(database_url, SCHEDULER_LOCK)

    @property
    def path(self) -> Path | None:
        """The lock file (SQLite), else ``None``."""
        return self._lock.path

    @property
    def where(self) -> str:
        return self._lock.where

    def try_acquire(self) -> bool:
        """Take the lock if free; ``False`` when another process holds it."""
        return self._lock.try_acquire(f"scheduler pid={os.getpid()} host={socket.gethostname()}")

    def acquire(self) -> SchedulerLock:
        if not self.try_acquire():
            raise ScheduleError(
                f"another scheduler is already running on {mask_url(self.database_url)} "
                f"({self.holder() or 'holder unknown'}; {self.where}). "
                "Stop it first (SIGINT/SIGTERM); one scheduler per database."
            )
        return self

    def check(self) -> bool:
        """Whether the lock is still held (a PostgreSQL session can be lost)."""
        return self._lock.check()

    def release(self) -> None:
        self._lock.release()

    def holder(self) -> str:
        """Who holds (or last held) the lock: pid, host, since when."""
        return self._lock.holder()

    def __enter__(self) -> SchedulerLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
