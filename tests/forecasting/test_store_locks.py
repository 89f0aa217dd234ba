"""Locks keyed on the database itself: every spelling of one SQLite file meets the same lock,
a dead process's lock is free at once, and a forked child does not keep its parent's alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecasting.errors import ScheduleError
from forecasting.scheduler import SchedulerLock
from forecasting.store_locks import StoreLock, lock_is_held, process_lease, store_identity
from tests.conftest import REPO
from tests.forecasting.test_postgres import postgres_url  # noqa: F401 - the fixture

HOLD = """
import os, sys, time
from forecasting.store_locks import StoreLock, process_lease
url, name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
lock = process_lease(url) if name == "lease" else StoreLock(url, name).acquire("test")
if mode == "fork":
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    print(child, flush=True)
print(lock.name, flush=True)
time.sleep(60)
"""


def _hold(url: str, name: str, mode: str = "") -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, url, name, mode or "-"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    lines = [proc.stdout.readline().strip() for _ in range(2 if mode == "fork" else 1)]
    assert all(lines), "the holder did not start"
    return proc, lines


def _spellings(tmp_path: Path) -> tuple[str, list[str]]:
    state = tmp_path / "state"
    state.mkdir()
    (tmp_path / "link").symlink_to(state)
    db = state / "forecasting.db"
    db.touch()
    (tmp_path / "alias.db").symlink_to(db)
    return f"sqlite:///{db}", [
        f"sqlite:///{state}/../state/forecasting.db",
        f"sqlite:///{tmp_path}/link/forecasting.db",
        f"sqlite:///{tmp_path}/alias.db",
        f"sqlite:///{tmp_path}/./state//forecasting.db",
        f"sqlite:///file:{db}?mode=rwc&uri=true",
    ]


def test_every_spelling_of_a_sqlite_file_meets_the_same_lock(tmp_path: Path) -> None:
    url, others = _spellings(tmp_path)
    assert {store_identity(u) for u in [url, *others]} == {store_identity(url)}
    first = SchedulerLock(url)
    assert first.try_acquire()
    try:
        for other in others:
            second = SchedulerLock(other)
            assert not second.try_acquire(), other
            with pytest.raises(ScheduleError, match="another scheduler is already running") as e:
                second.acquire()
            assert f"pid {os.getpid()}" in str(e.value)
        elsewhere = tmp_path / "other.db"
        assert SchedulerLock(f"sqlite:///{elsewhere}").try_acquire()  # another database
    finally:
        first.release()
    assert SchedulerLock(others[0]).try_acquire()


def test_a_killed_holder_frees_its_lock_at_once(tmp_path: Path) -> None:
    url, others = _spellings(tmp_path)
    proc, (name,) = _hold(url, "scheduler")
    try:
        assert lock_is_held(others[1], "scheduler")
        assert not SchedulerLock(others[0]).try_acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not lock_is_held(url, "scheduler")
    assert SchedulerLock(others[2]).try_acquire()


def test_a_process_lease_tells_a_live_process_from_a_dead_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    mine = process_lease(url)
    assert process_lease(url) is mine and lock_is_held(url, mine.name)
    proc, (name,) = _hold(url, "lease")
    assert name.startswith("process:") and name != mine.name
    assert lock_is_held(url, name)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not lock_is_held(url, name)
    assert not lock_is_held(url, "process:nobody:1:1")  # never taken


def test_a_forked_child_does_not_keep_a_dead_parents_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    proc, (child, name) = _hold(url, "lease", "fork")
    try:
        assert lock_is_held(url, name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.kill(int(child), 0)  # the child still runs
        assert not lock_is_held(url, name)
    finally:
        with __import__("contextlib").suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGKILL)


def test_a_lock_object_holds_until_released(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    a, b = StoreLock(url, "x"), StoreLock(url, "x")
    assert a.try_acquire("a") and not b.try_acquire("b")
    assert a.holder().startswith(f"pid {os.getpid()}")
    a.release()
    assert b.try_acquire("b") and not a.try_acquire("a")
    b.release()
    memory = "sqlite://"
    m1, m2 = StoreLock(memory, "x"), StoreLock(memory, "x")
    assert m1.try_acquire() and not m2.try_acquire()
    m1.release()
    assert m2.try_acquire()
    m2.release()


def test_postgresql_scheduler_lock_is_seen_from_another_process(
    postgres_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    proc, _ = _hold(postgres_url, "scheduler")
    try:
        # another spelling of the same database: the bare scheme, the query reordered
        _, _, query = postgres_url.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&"))
        other = f"postgresql://postgres@/postgres?port={params['port']}&host={params['host']}"
        lock = SchedulerLock(other)
        assert not lock.try_acquire()
        with pytest.raises(ScheduleError) as err:
            lock.acquire()
        assert "another scheduler is already running" in str(err.value)
        assert "forecasting scheduler" in str(err.value) and "advisory lock" in str(err.value)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while lock_is_held(postgres_url, "scheduler"):  # the server ends the dead session
        assert time.monotonic() < deadline
        time.sleep(0.1)
    lock = SchedulerLock(postgres_url)
    assert lock.try_acquire() and lock.check()
    lock.release()
