"""Child processes that must not outlive their launcher: sessions, stop signals, ports.

A server started with ``start_new_session=True`` leads a session of its own, and every process
it spawns (workers, job runners) stays in that session unless it calls ``setsid`` itself. So
"everything it started" is the session's live processes, read from ``/proc``, and stopping it
is: SIGTERM to all of them, SIGKILL to whatever is left after a grace period.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from forecasting.errors import ConfigError

__all__ = [
    "STOP_SIGNALS",
    "StopRequested",
    "port_in_use",
    "session_members",
    "signals_ignored",
    "stop_on_signals",
    "stop_session",
    "wait_until",
]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` every ``step`` seconds; True once it holds, False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def port_in_use(host: str, port: int) -> bool:
    """True when something listens on ``host:port`` (probed the way uvicorn binds: with
    ``SO_REUSEADDR``, so a closed connection in TIME_WAIT does not count).

    Raises:
        ConfigError: ``port`` is out of range, ``host`` does not resolve, or cannot be
            listened on for another reason (an address of another machine, a privileged port).
    """
    if not 0 <= port <= 65535:  # getaddrinfo would silently take it modulo 65536
        raise ConfigError(f"port {port}: not a TCP port (0-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"host {host!r}: cannot resolve it ({exc})") from exc
    family, socktype, proto, _, address = infos[0]
    with socket.socket(family, socktype, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise ConfigError(f"{host}:{port}: cannot listen there ({exc})") from exc
    return False


def session_members(sid: int) -> list[int]:
    """Pids of the live processes of session ``sid`` (zombies excluded: they hold nothing).

    Read from ``/proc``; where there is none, ``[sid]`` while the process group ``sid`` has a
    member and ``[]`` after.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(sid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [sid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # state ppid pgrp session ...
        if fields[0] not in ("Z", "X") and int(fields[3]) == sid:
            members.append(int(entry.name))
    return members


def _signal_session(sid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(sid, signum)
    for pid in session_members(sid):  # members that moved to a process group of their own
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def stop_session(sid: int, timeout: float = 10.0) -> bool:
    """SIGTERM every live process of session ``sid``; SIGKILL those alive after ``timeout``
    seconds. True when none is left (False only if a process survives SIGKILL for 5 s)."""
    _signal_session(sid, signal.SIGTERM)
    if wait_until(lambda: not session_members(sid), timeout):
        return True
    _signal_session(sid, signal.SIGKILL)
    return wait_until(lambda: not session_members(sid), 5.0)


class StopRequested(Exception):  # noqa: N818 - a request, not an error
    """Raised in the main thread by :func:`stop_on_signals` when a stop signal arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`StopRequested` (in the main
    thread; elsewhere signals cannot be handled and this does nothing)."""
    if not _in_main_thread():
        yield
        return

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        raise StopRequested(signum)

    previous = {s: signal.signal(s, request_stop) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """Within the block, stop signals are ignored (a stop sequence finishes, however often
    Ctrl-C is pressed); main thread only, like :func:`stop_on_signals`."""
    if not _in_main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
