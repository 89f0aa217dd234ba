"""`forecasting ui` serves the project's MLflow store on localhost and, sent SIGTERM itself,
stops every process it started and frees the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _can_bind(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.mark.slow
def test_ui_serves_the_project_store_and_stops_whole_on_sigterm(project: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecasting", "ui", "--port", str(port)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        body = ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/search"
                    "?max_results=10",
                    timeout=2,
                ) as resp:
                    body = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert '"experiments"' in body  # the store answers (its Default experiment at least)
        assert (project / "mlruns" / "mlflow.db").exists()  # the project's own store
        proc.send_signal(signal.SIGTERM)  # the command only, not its process group
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, out
    assert f"http://127.0.0.1:{port}" in out and "Traceback" not in out
    assert _can_bind(port)
