"""Stopping a whole session of processes, escalating to SIGKILL; probing ports."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest

from forecasting.errors import ConfigError
from forecasting.process_session import port_in_use, session_members, stop_session

# A parent that spawns a child which ignores SIGTERM, then both sleep.
_STUBBORN_TREE = """
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True);"
    " time.sleep(600)"], stdout=sys.stdout)
time.sleep(600)
"""


def test_stop_session_kills_a_child_that_ignores_sigterm() -> None:
    leader = subprocess.Popen(
        [sys.executable, "-c", _STUBBORN_TREE],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == "up"
        assert len(session_members(leader.pid)) == 2
        started = time.monotonic()
        assert stop_session(leader.pid, timeout=0.5)
        assert time.monotonic() - started < 5
        assert session_members(leader.pid) == []
        assert leader.wait(timeout=5) == -signal.SIGTERM  # the leader did not need SIGKILL
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait()


def test_port_in_use_sees_a_listener_and_not_a_closed_socket() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert port_in_use("127.0.0.1", port)
    assert not port_in_use("127.0.0.1", port)


def test_port_in_use_refuses_a_host_it_cannot_listen_on() -> None:
    with pytest.raises(ConfigError, match="203.0.113.7"):
        port_in_use("203.0.113.7", 5000)  # TEST-NET-3: never an address of this machine
