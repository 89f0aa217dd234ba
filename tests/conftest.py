"""Shared fixtures: every test gets its own project root (configs, state, mlruns) in tmp."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away project root with the repository's configs; env points the service at it."""
    shutil.copytree(REPO / "configs", tmp_path / "configs")
    monkeypatch.setenv("FORECASTING_CONFIG", str(tmp_path / "configs" / "forecasting.toml"))
    monkeypatch.delenv("FORECASTING_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture
def settings(project: Path):  # noqa: ANN201
    from forecasting.config import load_settings

    return load_settings()


@pytest.fixture
def service(settings):  # noqa: ANN001, ANN201
    from forecasting.service import open_service

    return open_service(settings)


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m forecasting ARGS`` with the current (monkeypatched) environment."""
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "forecasting", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


def add_print(service, period: str, released: str, **values: float) -> int:  # noqa: ANN001
    """Add one release to ``service``'s store: ``series=value`` for ``period``, all released
    on ``released`` (validated like ``data add``, as of 2026-11-29)."""
    from datetime import date

    import pandas as pd

    rows = [
        {"series": s, "period": period, "value": v, "released": released, "source": "test"}
        for s, v in values.items()
    ]
    return service.observations.add_frame(
        pd.DataFrame(rows), today=date(2026, 11, 29), where="test"
    ).added
