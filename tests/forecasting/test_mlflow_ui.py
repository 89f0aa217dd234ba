"""The MLflow UI launcher: what it prints, what it refuses, and that it leaves nothing behind."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from forecasting.errors import ConfigError, PortInUseError, TrackingError
from forecasting.mlflow_ui import (
    is_remote_tracking_uri,
    run_ui,
    start_ui,
)
from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _live_in_session(sid: int) -> list[str]:
    """``pid state command`` of each live (non-zombie) process of session ``sid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            found.append(f"{stat.parent.name} {fields[0]} {cmd[:120]}")
    return found


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://mlflow:s3cr%40t@db.internal:5432/mlflow",
            "postgresql://mlflow:***@db.internal:5432/mlflow",
        ),
        ("https://ci:tok3n@mlflow.example.org/", "https://ci:***@mlflow.example.org/"),
        ("https://mlflow.example.org/?token=abc&x=1", "https://mlflow.example.org/?token=***&x=1"),
        ("http://user@127.0.0.1:5000", "http://user@127.0.0.1:5000"),
        ("sqlite:////srv/project/mlruns/mlflow.db", "sqlite:////srv/project/mlruns/mlflow.db"),
    ],
)
def test_mask_url_hides_passwords_and_tokens_only(url: str, shown: str) -> None:
    from forecasting.masking import mask_url

    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("uri", "remote"),
    [
        ("http://mlflow:5000", True),
        ("HTTPS://mlflow.example.org", True),
        ("databricks", True),
        ("sqlite:////tmp/mlflow.db", False),
        ("postgresql://u:p@localhost/mlflow", False),
    ],
)
def test_remote_tracking_uris(uri: str, remote: bool) -> None:
    assert is_remote_tracking_uri(uri) is remote


def test_remote_tracking_server_starts_nothing_and_masks_the_password() -> None:
    said: list[str] = []
    before = set(_children(os.getpid()))
    started = time.monotonic()
    code = run_ui("https://ci:hunter2@mlflow.example.org", echo=said.append)
    assert code == 0
    assert time.monotonic() - started < 1  # no server was waited for
    assert set(_children(os.getpid())) == before
    assert "https://ci:***@mlflow.example.org" in said[0]
    assert not any("hunter2" in line for line in said)


def test_a_port_in_use_is_refused_in_one_line_before_anything_starts(tmp_path: Path) -> None:
    before = set(_children(os.getpid()))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError) as caught:
            run_ui(f"sqlite:///{tmp_path / 'mlflow.db'}", port=port, echo=lambda _: None)
    message = str(caught.value)
    assert "\n" not in message and str(port) in message and "--port" in message
    assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 2
    assert set(_children(os.getpid())) == before
    assert not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_a_server_that_cannot_open_its_store_is_a_tracking_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "mlflow.db"
    corrupt.write_text("this is not an SQLite database\n" * 200)
    port = _free_port()
    with pytest.raises(TrackingError, match="exited with code 1") as caught:
        server = start_ui(f"sqlite:///{corrupt}", port=port, start_timeout=120)
        server.stop()  # reached only if it served after all: leave nothing running
    assert "not a database" in str(caught.value)  # the server's own words, in one message
    assert "\n" not in str(caught.value)
    assert not _answers(port)


_LAUNCHER = """
import sys, threading
from forecasting.mlflow_ui import run_ui
code = run_ui(sys.argv[1], port=int(sys.argv[2]), on_ready=lambda url: print("READY", url))
print("EXIT", code)
print("PROXY THREADS", [t.name for t in threading.enumerate() if "proxy" in t.name])
sys.exit(code)
"""


def _read_until(stream: IO[str], marker: str, timeout: float) -> str:
    """What ``stream`` printed up to and including the first line that starts with ``marker``
    (or up to its end, or ``timeout`` seconds)."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in iter(stream.readline, ""):
            lines.put(line)
            if line.startswith(marker):
                return
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            break
        seen.append(line)
        if line == "" or line.startswith(marker):
            break
    return "".join(seen)


@pytest.mark.slow
def test_sigterm_stops_every_process_of_the_ui_and_frees_the_port(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONUNBUFFERED": "1"}
    launcher = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, f"sqlite:///{tmp_path / 'mlflow.db'}", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    sid = None
    try:
        assert launcher.stdout is not None
        ready = _read_until(launcher.stdout, "READY", timeout=120)
        assert f"READY http://127.0.0.1:{port}" in ready, ready
        assert _answers(port)
        runs_link = f"http://127.0.0.1:{port}/#/experiments/0/runs?workflowType=machine_learning"
        assert f"Default: {runs_link}" in ready
        (sid,) = _children(launcher.pid)  # the mlflow server: leader of its own session
        assert os.getsid(sid) == sid
        assert len(_live_in_session(sid)) >= 2  # the mlflow CLI and uvicorn at least
        command = (Path("/proc") / str(sid) / "cmdline").read_bytes().split(b"\0")
        upstream_port = int(command[command.index(b"--port") + 1])
        assert upstream_port != port  # the server is behind the proxy
        browser = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        browser.request("GET", "/")  # the UI's entry page, on a connection kept open
        assert b"mlflow.workflowType_v1" in browser.getresponse().read()

        launcher.send_signal(signal.SIGTERM)
        out, _ = launcher.communicate(timeout=60)

        assert launcher.returncode == 128 + signal.SIGTERM, out
        assert "stopping the MLflow UI (SIGTERM)" in out
        assert "PROXY THREADS []" in out  # the proxy's threads ended before run_ui returned
        assert _live_in_session(sid) == []
        for freed in (port, upstream_port):
            with socket.socket() as s:  # free: a new server can listen on it (as uvicorn
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # binds; TIME_WAIT
                s.bind(("127.0.0.1", freed))  # is no holder)
                s.listen()
        assert not _answers(port)
        browser.request("GET", "/health")
        with pytest.raises((OSError, http.client.HTTPException)):
            browser.getresponse()  # the open connection was closed too
        browser.close()
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        if sid is not None:
            for line in _live_in_session(sid):
                os.kill(int(line.split()[0]), signal.SIGKILL)
