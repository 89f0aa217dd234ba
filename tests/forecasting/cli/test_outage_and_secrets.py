"""MLflow down, with a password in its URL: `forecast`, `run` and a scheduled job exit 5 with
one clear line and keep their forecasts in the ledger; the catch-up logs them once MLflow is
back; and no output, event log, store or MLflow run holds the password."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import mlflow
import pytest

from forecasting.scheduler import EventLog
from forecasting.service import open_service

PASSWORD = "S3cret-pw_4217"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _files_hold(root: Path, secret: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]


def test_mlflow_down_exits_5_keeps_the_forecasts_and_catches_up(
    quick_project: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://forecaster:{PASSWORD}@127.0.0.1:9"  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", down)
    outputs = []

    res = cli("forecast", "--target", "exports_yoy")
    outputs.append(res)
    assert res.code == 5, res.stderr
    assert "MLflow at http://forecaster:***@127.0.0.1:9 failed" in res.stderr
    assert "the forecast is in the ledger" in res.stderr and "Traceback" not in res.stderr

    res = cli("run")
    outputs.append(res)
    assert res.code == 5, res.stderr
    assert "imports_yoy: MLflow at http://forecaster:***@" in res.stderr

    svc = open_service()
    period = str(svc.calendar().next_due(date.today()).period)
    res = cli("schedule", "run-now", f"pre-release:{period}")
    outputs.append(res)
    assert res.code == 5 and res.stderr.count("\n") >= 1
    assert "is in the ledger; MLflow logging failed and will be retried" in res.stderr
    events = EventLog.for_state_dir(svc.settings.service.state_dir, echo=False).read()
    failed = [e for e in events if e["event"] == "failed"]
    assert failed and failed[-1]["job_id"] == f"pre-release:{period}"
    assert "forecaster:***@" in failed[-1]["detail"]

    res = cli("ui")
    outputs.append(res)
    assert res.code == 0 and "browse http://forecaster:***@127.0.0.1:9" in res.stdout

    ledger = svc.ledger.frame()
    units = ledger["job_id"].unique()
    n_targets = len(svc.settings.targets.names)
    # forecast: one unit; run and pre-release: one per target
    assert len(units) == 1 + 2 * n_targets and ledger["mlflow_run_id"].isna().all()
    runs = svc.job_runs.runs()
    assert len(runs) == 3 and {r.status for r in runs} == {"failed"}
    assert all(PASSWORD not in r.detail and "***" in r.detail for r in runs)

    for out in outputs:
        assert PASSWORD not in out.stdout + out.stderr
    assert not _files_hold(quick_project / ".state", PASSWORD.encode())

    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # MLflow is back
    res = cli("schedule", "run-now", "tracking-catch-up")
    assert res.code == 0, res.stderr
    back = open_service()
    after = back.ledger.frame()
    assert after["mlflow_run_id"].notna().all()
    client = mlflow.MlflowClient(tracking_uri=back.settings.mlflow.tracking_uri)
    for unit, rows in after.groupby("job_id"):
        (run_id,) = set(rows["mlflow_run_id"])
        assert client.get_run(run_id).data.tags["job_id"] == unit


@pytest.mark.slow
def test_a_password_in_the_tracking_uri_reaches_no_run_tag_or_artifact(
    quick_project: Path, cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from forecasting.mlflow_ui import serve_ui

    store = tmp_path / "server"
    store.mkdir()
    port = _free_port()
    with serve_ui(
        f"sqlite:///{store / 'mlflow.db'}", port=port, artifacts_destination=store / "artifacts"
    ):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://forecaster:{PASSWORD}@127.0.0.1:{port}")
        res = cli("run")
        assert res.code == 0, res.stderr
        assert PASSWORD not in res.stdout + res.stderr
        assert "tracking URI http://forecaster:***@127.0.0.1" in res.stdout
        client = mlflow.MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        exps = [e.experiment_id for e in client.search_experiments()]
        runs = client.search_runs(exps, "")
        assert len(runs) > 6  # forecasts, backtests, per-model children, registrations
        for run in runs:
            text = repr(run.data.params) + repr(run.data.tags) + repr(run.info)
            assert PASSWORD not in text
    assert (store / "mlflow.db").exists()
    assert not _files_hold(store, PASSWORD.encode())
    assert not _files_hold(quick_project, PASSWORD.encode())
