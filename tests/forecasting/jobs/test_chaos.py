"""Chaos: SIGKILL at random points, then restart; each forecast is recorded exactly once.

1. The scheduler process, running a due pre-release job (the real job functions, three fast
   models), is killed at random moments and started again, until it is left to finish.
2. ``schedule run-now tracking-catch-up`` is killed at random moments while it logs a dozen
   ledger units, and run again until it finishes.

Afterwards: job ids are unique (one job run for the release, one ledger unit per target),
every ledger row's MLflow run exists, is FINISHED and is its own (tag ``job_id`` = its unit),
no unit has a second active run, no run is left RUNNING, and every due forecast was made.
The seed is printed; ``CHAOS_SEED=N`` replays one.
"""

from __future__ import annotations

import os
import random
import selectors
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import mlflow
import pandas as pd
import pytest
from mlflow.entities import ViewType

from forecasting.config import load_settings
from forecasting.scheduler import EventLog
from forecasting.service import open_service
from tests.conftest import REPO
from tests.forecasting.jobs.helpers import QUICK, all_runs

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.slow


def _seed() -> random.Random:
    seed = int(os.environ.get("CHAOS_SEED", time.time_ns() % 100_000))
    print(f"CHAOS_SEED={seed}")
    return random.Random(seed)


def _due_now(project: Path) -> str:
    """Make the next release's pre-release job due a minute ago; returns its period."""
    fire = (datetime.now(SHANGHAI) - timedelta(minutes=1)).replace(second=0, microsecond=0)
    svc = open_service(load_settings())
    period = str(svc.calendar().next_due(fire.date()).period)
    cal = project / "configs" / "release_calendar.toml"
    text = cal.read_text(encoding="utf-8")
    release = fire.date() + timedelta(days=1)
    cal.write_text(text.replace("[releases]", f'[releases]\n"{period}" = {release}'), "utf-8")
    cfg = project / "configs" / "forecasting.toml"
    text = cfg.read_text(encoding="utf-8")
    text = text.replace("pre_release_days = 2", "pre_release_days = 1")
    text = text.replace('pre_release_time = "09:00"', f'pre_release_time = "{fire:%H:%M}"')
    cfg.write_text(text, encoding="utf-8")
    return period


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "forecasting", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
    )


def _started(proc: subprocess.Popen, timeout: float = 60.0) -> None:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.1):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if "scheduler started" in line:
                return
    raise AssertionError("the scheduler did not start")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate()


def _settled(svc, job: str) -> bool:  # noqa: ANN001
    runs = svc.job_runs.runs(job=job)
    ledger = svc.ledger.frame()
    return (
        bool(runs)
        and all(r.status != "running" for r in runs)
        and ledger["mlflow_run_id"].notna().all()
        and not [r for r in all_runs(svc.settings) if r.info.status == "RUNNING"]
    )


def _check_exactly_once(svc) -> pd.DataFrame:  # noqa: ANN001
    """Every ledger unit has one FINISHED run of its own and no other active run."""
    ledger = svc.ledger.frame()
    assert ledger["mlflow_run_id"].notna().all()
    client = mlflow.MlflowClient(tracking_uri=svc.settings.mlflow.tracking_uri)
    active = all_runs(svc.settings)
    assert not [r for r in active if r.info.status == "RUNNING"]
    for unit, rows in ledger.groupby("job_id"):
        (run_id,) = set(rows["mlflow_run_id"])
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and run.data.tags["job_id"] == unit
        assert [r.info.run_id for r in active if r.data.tags.get("job_id") == unit] == [run_id]
    return ledger


def test_killing_the_scheduler_mid_job_records_each_forecast_once(quick_project: Path) -> None:
    rng = _seed()
    period = _due_now(quick_project)
    job = f"pre-release:{period}"
    svc = open_service(load_settings())
    for _ in range(3):
        proc = _spawn("schedule", "start")
        _started(proc)
        time.sleep(rng.uniform(0.3, 7.0))
        _kill(proc)
    proc = _spawn("schedule", "start")
    _started(proc)
    deadline = time.monotonic() + 90
    while not _settled(svc, job):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, svc.job_runs.runs()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err
    (run,) = svc.job_runs.runs(job=job)
    log = EventLog.for_state_dir(svc.settings.service.state_dir, echo=False).read()
    for e in log:
        if e["event"] in ("resumed", "retry", "missed", "failed"):
            print(e["event"], e["job_id"], e["detail"])
    print(f"{run.id}: {run.status}, attempts {run.attempts}")
    assert (run.id, run.status) == (f"{job}:v1", "succeeded"), run.detail
    ledger = _check_exactly_once(svc)
    assert set(ledger["job_id"]) == {f"{run.id}:{t}" for t in svc.settings.targets.names}
    assert not ledger.duplicated(["target", "model"]).any() and set(ledger["model"]) <= set(QUICK)
    assert set(ledger["target"]) == set(svc.settings.targets.names)
    assert set(ledger["period"]) == {period}


def test_killing_the_catch_up_logs_each_unit_once(quick_project: Path) -> None:
    rng = _seed()
    svc = open_service(load_settings())
    units = 10
    for i in range(units):  # forecasts recorded while MLflow was unreachable
        run = svc.job_runs.start(f"forecast:2026-{i:02d}", "forecast", ["exports_yoy"], None)
        rows = pd.DataFrame(
            {"target": ["exports_yoy"] * 2, "period": ["2026-11"] * 2, "as_of": ["2026-11-30"] * 2}
            | {"model": ["naive", "ensemble"], "yhat": [1.0, float(i)]}
        )
        svc.ledger.record_unit(rows, job_id=run.units()["exports_yoy"], origin="forecast")
        svc.job_runs.finish(run, "failed", "MLflow unreachable")

    def logged() -> int:
        return int(svc.ledger.frame()["mlflow_run_id"].notna().sum()) // 2

    for k in sorted(rng.sample(range(1, units), 3)):  # kill after k units, at a random moment
        proc = _spawn("schedule", "run-now", "tracking-catch-up")
        deadline = time.monotonic() + 90
        while logged() < k and proc.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.15))
        _kill(proc)
    proc = _spawn("schedule", "run-now", "tracking-catch-up")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err, err
    ledger = _check_exactly_once(svc)
    assert ledger["job_id"].nunique() == units
    client = mlflow.MlflowClient(tracking_uri=svc.settings.mlflow.tracking_uri)
    exps = [e.experiment_id for e in client.search_experiments()]
    deleted = client.search_runs(exps, "", run_view_type=ViewType.DELETED_ONLY)
    print(f"{len(deleted)} run(s) left RUNNING by a kill, ended and deleted")
    assert all(r.info.status == "KILLED" for r in deleted)  # what a kill left, ended
