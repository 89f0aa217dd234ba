"""The team deployment, for real: PostgreSQL for the service store and MLflow's backend,
``mlflow server`` serving the artifacts, and the commands pointed at them by configuration
alone (``FORECASTING_DATABASE_URL``, ``MLFLOW_TRACKING_URI``).

One PostgreSQL cluster (two databases), one tracking server, one short backtest and one main
job (exports only, the fast y/y model set, a six-month window, one process). Skipped where the
PostgreSQL server binaries are absent (as the store test is).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from forecasting.process_session import stop_session, wait_until
from tests.conftest import FAST_YOY, REPO, set_models
from tests.forecasting.test_postgres import _free_port, _socket, postgres_url  # noqa: F401

pytestmark = pytest.mark.slow

#: the job forecasts exports only (the other targets take the same path; a third of the time)
TARGETS = ("exports_yoy",)


@pytest.fixture(scope="module")
def databases(postgres_url: str) -> dict[str, str]:  # noqa: F811
    """The service store's and MLflow's databases on the throw-away cluster."""
    import psycopg2
    import sqlalchemy as sa

    url = sa.make_url(postgres_url)
    admin = psycopg2.connect(dbname="postgres", user="postgres", **_socket(url))
    admin.autocommit = True
    for name in ("forecasting", "mlflow"):
        admin.cursor().execute(f"CREATE DATABASE {name}")
    admin.close()
    return {
        n: url.set(database=n).render_as_string(hide_password=False)
        for n in ("forecasting", "mlflow")
    }


@pytest.fixture(scope="module")
def tracking_server(
    databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """``mlflow server`` on the PostgreSQL backend, serving artifacts from a temporary folder
    (the command the deployment docs give); its URL and that folder. Stopped with every
    process it started."""
    base = tmp_path_factory.mktemp("mlflow-server")
    artifacts, port = base / "artifacts", _free_port()
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--backend-store-uri", databases["mlflow"], "--serve-artifacts"]
    cmd += ["--artifacts-destination", artifacts.as_uri(), "--workers", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    log = (base / "server.log").open("wb")
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until(lambda: proc.poll() is not None or _healthy(url), 120, step=0.25):
            pytest.fail("mlflow server did not answer within 120 s")
        if proc.poll() is not None:
            pytest.fail(f"mlflow server exited: {(base / 'server.log').read_text()[-2000:]}")
        yield url, artifacts
    finally:
        stop_session(proc.pid, timeout=10)
        proc.wait(timeout=30)
        log.close()


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except OSError:
        return False


def _cli(root: Path, env: dict[str, str], *args: str) -> str:
    """``python -m forecasting ARGS`` in ``root``; its output (the test fails on an exit
    code other than 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "forecasting", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_backtest_and_job_land_on_the_server(
    databases: dict[str, str],
    tracking_server: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow
    import psycopg2
    import sqlalchemy as sa

    server, artifacts = tracking_server
    root = tmp_path / "team"
    shutil.copytree(REPO / "configs", root / "configs")
    cfg = root / "configs" / "forecasting.toml"
    set_models(cfg, FAST_YOY)
    text = cfg.read_text(encoding="utf-8")
    text = text.replace(
        'names = ["exports_yoy", "imports_yoy", "balance_usd_bn"]', 'names = ["exports_yoy"]'
    )
    cfg.write_text(
        text.replace("recent_window = 36", "recent_window = 6").replace("jobs = 2", "jobs = 1")
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FORECASTING_"))}
    env |= {
        "FORECASTING_CONFIG": str(cfg),
        "FORECASTING_DATABASE_URL": databases["forecasting"],
        "MLFLOW_TRACKING_URI": server,
    }

    backtest_args = "--target exports_yoy --start 2025-01 --end 2025-06 --jobs 1"
    backtest_args += " --models naive,seasonal_ratio,ensemble"
    out = _cli(root, env, "backtest", *backtest_args.split())
    backtest_run = re.search(r"MLflow run ([0-9a-f]{32})", out).group(1)
    out = _cli(root, env, "run")
    job_runs = dict(re.findall(r"(\w+): MLflow run ([0-9a-f]{32})", out))
    assert sorted(job_runs) == sorted(TARGETS), out

    client = mlflow.MlflowClient(tracking_uri=server, registry_uri=server)
    # the backtest: a finished run, its rows downloaded back through the server
    run = client.get_run(backtest_run)
    assert run.info.status == "FINISHED" and run.data.params["target"] == "exports_yoy"
    exp = client.get_experiment(run.info.experiment_id)
    assert exp.artifact_location.startswith("mlflow-artifacts:")
    csv = Path(client.download_artifacts(backtest_run, "backtest_exports_yoy.csv", str(tmp_path)))
    rows = pd.read_csv(csv)
    assert sorted(rows["period"].unique()) == [f"2025-0{m}" for m in range(2, 7)]
    assert set(rows["model"]) == {"naive", "seasonal_ratio", "ensemble"}
    children = client.search_runs(
        [exp.experiment_id], f"tags.mlflow.parentRunId = '{backtest_run}'"
    )
    assert len(children) == 3
    pngs = {a.path for a in client.list_artifacts(children[0].info.run_id)}
    assert {"forecast_vs_actual.png", "residuals.png"} <= pngs
    # the artifacts are in the server's destination, not beside the project
    stored = artifacts / exp.experiment_id / backtest_run / "artifacts" / csv.name
    assert stored.read_bytes() == csv.read_bytes()
    assert len(list(artifacts.rglob("*.png"))) >= 6

    # the job: a finished forecast run per target and every target's champion on the server
    champions = {}
    for target, run_id in job_runs.items():
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and run.data.tags["target"] == target
        champion = client.get_model_version_by_alias(f"china-trade-{target}", "champion")
        assert champion.tags["target"] == target and champion.tags["model"] in FAST_YOY
        assert client.get_run(champion.run_id).info.status == "FINISHED"
        champions[target] = champion
    # the champion's model comes back from the server's artifacts and forecasts what it
    # published
    monkeypatch.setenv("FORECASTING_CONFIG", str(cfg))
    monkeypatch.setenv("FORECASTING_DATABASE_URL", databases["forecasting"])
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server)
    from forecasting import tracking
    from forecasting.config import load_settings
    from forecasting.service import open_service

    settings = load_settings()
    exports = champions["exports_yoy"]
    predicted = tracking.predict_registered(
        settings, "exports_yoy", pd.DataFrame({"period": [exports.tags["period"]]})
    )
    assert predicted["yhat"].round(4).tolist() == [float(exports.tags["yhat"])]

    # the service store is PostgreSQL: the job's ledger rows are there
    svc = open_service(settings)
    assert svc.engine.dialect.name == "postgresql"
    ledger = svc.ledger.frame()
    assert set(TARGETS) <= set(ledger["target"])
    svc.engine.dispose()
    # MLflow's backend is PostgreSQL: every run the server lists is a row there
    listed = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], max_results=10000
    )
    url = sa.make_url(databases["mlflow"])
    conn = psycopg2.connect(dbname="mlflow", user="postgres", **_socket(url))
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM runs WHERE lifecycle_stage = 'active'")
        assert cur.fetchone()[0] == len(listed) > len(job_runs) + 3
        cur.execute("SELECT count(*) FROM registered_model_aliases WHERE alias = 'champion'")
        assert cur.fetchone()[0] == len(TARGETS)
    finally:
        conn.close()
    # and nothing went to a local store: no SQLite file, no mlruns/ folder in the project
    assert not list(root.rglob("*.db")) and not (root / "mlruns").exists()
    assert not [p for p in root.rglob("*") if p.name in ("mlflow.db", "forecasting.db")]
