"""A few end-to-end runs of the installed entry point in a subprocess (the rest of the CLI
tests call the app in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli


def test_version_and_a_usage_error() -> None:
    out = run_cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("forecasting ")
    bad = run_cli("data", "add")
    assert bad.returncode == 2 and "Usage:" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.slow
def test_a_look_back_forecast_end_to_end(fast_project: Path) -> None:
    res = run_cli("forecast", "--target", "exports_yoy", "--as-of", "2026-01-13", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["period"] == "2025-12" and out["consensus"] == 3.1 and out["look_back"]
    assert out["ledger_job_id"] is None and out["mlflow_run_id"]
