"""Helpers of the job tests: kill a process at the right moment, read every MLflow run."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

import mlflow
from mlflow.entities import ViewType

from tests.conftest import QUICK

__all__ = ["QUICK", "all_runs", "kill_when"]


def kill_when(
    predicate: Callable[[], object], proc: subprocess.Popen, timeout: float = 120.0
) -> None:
    """SIGKILL ``proc`` as soon as ``predicate()`` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def all_runs(settings) -> list:  # noqa: ANN001
    """Every active run of every experiment of the project's MLflow store."""
    client = mlflow.MlflowClient(tracking_uri=settings.mlflow.tracking_uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, "", run_view_type=ViewType.ACTIVE_ONLY, max_results=5000)
