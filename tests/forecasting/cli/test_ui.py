"""`forecasting ui` serves the MLflow UI of the project's store on localhost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ui_serves_the_project_store_on_localhost(project: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecasting", "ui", "--port", str(port)],
        cwd=REPO,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        body = ""
        while time.monotonic() < deadline:
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
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
