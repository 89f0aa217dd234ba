"""Shared fixtures: every test gets its own project root (configs, state, mlruns) in tmp.

Speed: MLflow's first use of a SQLite store runs its schema migrations (seconds); a migrated
empty store is made once per session and copied into each project (:func:`project`). Tests
that only read a finished job share one (:func:`published`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
#: a fast model set: per target three members and the two combinations (the y/y targets:
#: naive, seasonal_ratio, ridge_ar; the balance: naive, seasonal_naive, identity)
FAST = [
    "naive",
    "seasonal_ratio",
    "ridge_ar",
    "seasonal_naive",
    "identity",
    "ensemble",
    "ensemble_median",
]
#: FAST as the y/y targets run it
FAST_YOY = ["naive", "seasonal_ratio", "ridge_ar", "ensemble", "ensemble_median"]


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite store, made once per session."""
    import mlflow

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Path:
    """A service store with the bundled snapshot loaded and the USD levels derived, made once
    per session (loading it takes seconds): :func:`project` starts from a copy of it. Tests of
    a first start on an empty store mark themselves ``empty_store``."""
    import sqlite3

    from forecasting.config import load_settings
    from forecasting.service import open_service

    root = tmp_path_factory.mktemp("store-template")
    cfg = make_project(root, mlflow_template)
    keys = ("FORECASTING_DATABASE_URL", "MLFLOW_TRACKING_URI")
    env = {k: os.environ.pop(k) for k in keys if k in os.environ}
    try:
        open_service(load_settings(cfg)).engine.dispose()
    finally:
        os.environ.update(env)
    out = root / "forecasting.db"
    src = sqlite3.connect(root / ".state" / "forecasting.db")
    dst = sqlite3.connect(out)
    with dst:
        src.backup(dst)  # one consistent file, whatever the journal mode left beside it
    src.close()
    dst.close()
    return out


def set_models(cfg: Path, models: list[str]) -> None:
    """Trim the configuration's model set to ``models``."""
    lines = [
        "default = [" + ", ".join(f'"{m}"' for m in models) + "]"
        if line.startswith("default = [")
        else line
        for line in cfg.read_text(encoding="utf-8").splitlines()
    ]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_project(root: Path, template: Path, models: list[str] | None = None) -> Path:
    """A project root with the repository's configs (the model set trimmed to ``models``)
    and an empty migrated MLflow store; returns its configuration file."""
    shutil.copytree(REPO / "configs", root / "configs")
    (root / "mlruns").mkdir(parents=True, exist_ok=True)
    shutil.copy(template, root / "mlruns" / "mlflow.db")
    cfg = root / "configs" / "forecasting.toml"
    if models is not None:
        set_models(cfg, models)
    return cfg


@pytest.fixture
def project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlflow_template: Path,
    request: pytest.FixtureRequest,
) -> Path:
    """A throw-away project root with the repository's configs; env points the service at it.
    Its store holds the bundled snapshot already (a copy of :func:`store_template`), unless the
    test is marked ``empty_store``."""
    cfg = make_project(tmp_path, mlflow_template)
    if request.node.get_closest_marker("empty_store") is None:
        template = request.getfixturevalue("store_template")
        (tmp_path / ".state").mkdir(exist_ok=True)
        shutil.copy(template, tmp_path / ".state" / "forecasting.db")
    monkeypatch.setenv("FORECASTING_CONFIG", str(cfg))
    monkeypatch.delenv("FORECASTING_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture
def fast_project(project: Path) -> Path:
    """``project`` with the model set trimmed to :data:`FAST`."""
    set_models(project / "configs" / "forecasting.toml", FAST)
    return project


#: three fast models (a fitted one, the seasonal rule and their combination)
QUICK = ["naive", "seasonal_ratio", "ensemble"]


@pytest.fixture
def quick_project(project: Path) -> Path:
    """``project`` where a job takes seconds: :data:`QUICK` models, a six-month job backtest,
    one backtest process."""
    cfg = project / "configs" / "forecasting.toml"
    set_models(cfg, QUICK)
    text = cfg.read_text(encoding="utf-8")
    text = text.replace("recent_window = 36", "recent_window = 6").replace("jobs = 2", "jobs = 1")
    cfg.write_text(text, encoding="utf-8")
    return project


@pytest.fixture
def settings(project: Path):  # noqa: ANN201
    from forecasting.config import load_settings

    return load_settings()


@pytest.fixture
def service(settings):  # noqa: ANN001, ANN201
    from forecasting.service import open_service

    return open_service(settings)


@dataclass
class Published:
    """A project where the main job ran once (2026-11-29, :data:`FAST` models)."""

    root: Path
    config: Path
    job: object  # forecasting.jobs.JobResult

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point the service (and the CLI) at this project."""
        monkeypatch.setenv("FORECASTING_CONFIG", str(self.config))
        monkeypatch.delenv("FORECASTING_DATABASE_URL", raising=False)
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    def service(self):  # noqa: ANN201
        from forecasting.config import load_settings
        from forecasting.service import open_service

        return open_service(load_settings(self.config))


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Published:
    """One finished main job, shared by the tests that only read what it left (ledger, MLflow
    runs, registered models). Tests must not write to it."""
    from forecasting.config import load_settings
    from forecasting.jobs import main_job
    from forecasting.service import open_service

    root = tmp_path_factory.mktemp("published")
    cfg = make_project(root, mlflow_template, FAST)
    keys = ("FORECASTING_DATABASE_URL", "MLFLOW_TRACKING_URI")
    env = {k: os.environ.pop(k) for k in keys if k in os.environ}
    try:
        svc = open_service(load_settings(cfg))
        job = main_job(svc, today=date(2026, 11, 29))
    finally:
        os.environ.update(env)
    return Published(root, cfg, job)


@pytest.fixture
def mlflow_client(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:  # noqa: ANN001
    """An MLflow client on the project's store (the MLflow variables the global setters
    export are restored after the test, so no later test inherits this store)."""
    import mlflow

    uri = settings.mlflow.tracking_uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)  # never a previous test's registry
    yield mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m forecasting ARGS`` with the current (monkeypatched) environment (the
    end-to-end tests; the others call the app in-process, see tests/forecasting/cli)."""
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
    import pandas as pd

    rows = [
        {"series": s, "period": period, "value": v, "released": released, "source": "test"}
        for s, v in values.items()
    ]
    return service.observations.add_frame(
        pd.DataFrame(rows), today=date(2026, 11, 29), where="test"
    ).added
