"""kill -9 in a pre-release job after its exports forecast: the scheduler's recovery resumes
the same job run, which keeps exports (recorded once, its MLflow run its own) and forecasts
imports; no version is reused or added, no run is left RUNNING."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import mlflow
import pytest

from forecasting.config import load_settings
from forecasting.jobs import pre_release_job
from forecasting.scheduler import EventLog, JobFunctions, build_scheduler, recover
from forecasting.service import open_service
from tests.conftest import REPO
from tests.forecasting.jobs.helpers import QUICK, all_runs, kill_when

JOB = """
from datetime import date
from forecasting.jobs import pre_release_job
pre_release_job("2026-11", today=date(2026, 11, 29))
"""


@pytest.mark.slow
def test_a_pre_release_killed_after_exports_is_resumed(quick_project: Path) -> None:
    settings = load_settings()
    svc = open_service(settings)
    exports = "pre-release:2026-11:v1:exports_yoy"
    proc = subprocess.Popen(
        [sys.executable, "-c", JOB],
        env=dict(os.environ),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    kill_when(lambda: svc.ledger.unit_states([exports]), proc)
    run = svc.job_runs.get("pre-release:2026-11:v1")
    assert run.status == "running" and svc.job_runs.interrupted() == [run]

    # the scheduler starts again: its recovery resumes the run (no job runs yet: paused store)
    scheduler = build_scheduler(settings, process_jobs=False)
    scheduler.start()
    try:
        now = datetime.now(ZoneInfo(settings.schedule.timezone))
        log = EventLog.for_state_dir(settings.service.state_dir, echo=False)
        specs = {s.id: s for s in recover(scheduler, settings, now, JobFunctions(), log)}
        assert {j.id for j in scheduler.get_jobs()} == set(specs)
    finally:
        scheduler.shutdown()
    assert set(specs) == {"pre-release:2026-11:resume", "tracking-catch-up:now"}
    assert specs["pre-release:2026-11:resume"].kwargs["resume"] == run.id
    (event,) = [e for e in log.read() if e["event"] == "resumed"]
    assert event["job_id"] == run.id and "recorded: exports_yoy" in event["detail"]

    assert pre_release_job("2026-11", today=date(2026, 11, 29), resume=run.id)
    done = svc.job_runs.get(run.id)
    assert done.status == "succeeded" and done.attempts == 2, done.detail
    assert [r.id for r in svc.job_runs.runs()] == [run.id]  # no second version
    ledger = svc.ledger.frame()
    targets = settings.targets.names
    assert set(ledger["job_id"]) == {f"pre-release:2026-11:v1:{t}" for t in targets}
    assert set(ledger["target"]) == set(targets)
    assert not ledger.duplicated(["target", "model"]).any()  # each target recorded once
    assert set(ledger["model"]) <= set(QUICK)
    uri = settings.mlflow.tracking_uri
    client = mlflow.MlflowClient(tracking_uri=uri)
    for unit, rows in ledger.groupby("job_id"):
        (run_id,) = set(rows["mlflow_run_id"])
        logged = client.get_run(run_id)
        assert logged.info.status == "FINISHED" and logged.data.tags["job_id"] == unit
        tagged = [r for r in all_runs(settings) if r.data.tags.get("job_id") == unit]
        assert [r.info.run_id for r in tagged] == [run_id]  # logged once
    assert not [r for r in all_runs(settings) if r.info.status == "RUNNING"]
