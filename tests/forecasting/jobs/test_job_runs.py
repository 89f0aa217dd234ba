"""Job runs: recorded before the work, versions allocated atomically across processes, an
interrupted run taken over by exactly one process, recovery planned within the grace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from forecasting.errors import StoreError
from forecasting.job_runs import MAX_ATTEMPTS, JobRun, plan_recovery, unit_id
from forecasting.tables import job_runs_table
from tests.conftest import REPO

DEAD = "process:gone:1:1"  # a lease nobody holds: its owner is dead


def kill_owner(service, run_id: str, started: datetime | None = None) -> None:  # noqa: ANN001
    """Make ``run_id`` look like its process was killed (owner lease free)."""
    values: dict[str, object] = {"owner": DEAD}
    if started is not None:
        values["started_at"] = started
    with service.engine.begin() as conn:
        conn.execute(job_runs_table.update().where(job_runs_table.c.id == run_id).values(**values))


def test_a_run_is_recorded_before_the_work_and_finished(service) -> None:
    runs = service.job_runs
    run = runs.start(
        "pre-release:2026-11", "pre-release", ["exports_yoy", "imports_yoy"], "2026-11"
    )
    assert run.id == "pre-release:2026-11:v1" and run.status == "running"
    assert run.pid == os.getpid() and run.attempts == 1 and run.host
    assert runs.is_live(run) and runs.interrupted() == []
    assert run.units() == {
        "exports_yoy": "pre-release:2026-11:v1:exports_yoy",
        "imports_yoy": "pre-release:2026-11:v1:imports_yoy",
    }
    assert runs.finish(run, "failed", "MLflow at http://u:secret@h failed")
    done = runs.get(run.id)
    assert done.status == "failed" and "secret" not in done.detail and done.finished_at
    assert not runs.finish(run, "succeeded")  # finished once
    assert runs.start("pre-release:2026-11", "pre-release", ["x"], "2026-11").version == 2


START = """
import json, os, sys, time
from pathlib import Path
gate = Path(sys.argv[1])
from forecasting.service import open_service
svc = open_service()
Path(f"{gate}.ready.{os.getpid()}").touch()
while not gate.exists():
    time.sleep(0.002)
ids = [svc.job_runs.start("pre-release:2026-11", "pre-release", ["exports_yoy"], "2026-11").id
       for _ in range(3)]
print(json.dumps(ids))
"""


@pytest.mark.slow
def test_versions_are_allocated_atomically_across_processes(service, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(gate)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
            cwd=REPO,
        )
        for _ in range(4)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("gate.ready.*"))) < len(procs):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    gate.touch()
    ids = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        ids += json.loads(out)
    assert sorted(ids) == sorted(f"pre-release:2026-11:v{v}" for v in range(1, 13))


def test_an_interrupted_run_is_taken_over_by_one_process(service) -> None:
    runs = service.job_runs
    run = runs.start("pre-release:2026-11", "pre-release", ["exports_yoy"], "2026-11")
    assert runs.take_over(run) is None  # live: its owner (this process) holds its lease
    kill_owner(service, run.id)
    dead = runs.get(run.id)
    assert runs.interrupted() == [dead]
    mine = runs.take_over(dead)
    assert mine is not None and mine.attempts == 2 and mine.owner != DEAD
    assert runs.take_over(dead) is None  # the owner it saw is no longer the owner
    assert runs.interrupted() == [] and runs.is_live(mine)


def test_a_unit_is_recorded_once(service) -> None:
    rows = pd.DataFrame(
        {"target": ["exports_yoy"], "period": ["2026-11"], "as_of": ["2026-11-30"]}
        | {"model": ["naive"], "yhat": [1.0]}
    )
    unit = unit_id("pre-release:2026-11:v1", "exports_yoy")
    assert service.ledger.record_unit(rows, job_id=unit, origin="pre-release") == 1
    with pytest.raises(StoreError, match="already recorded"):
        service.ledger.record_unit(rows, job_id=unit, origin="pre-release")
    assert service.ledger.unit_states([unit, "other"]) == {unit: (1, None)}
    assert service.ledger.attach_run(unit, "r1") == 1
    assert service.ledger.attach_run(unit, "r2") == 0  # a unit's run is set once
    assert service.ledger.unit_states([unit]) == {unit: (1, "r1")}


def _run(kind: str, started: datetime, attempts: int = 1) -> JobRun:
    return JobRun(
        id=f"{kind}:x:v1",
        job=f"{kind}:x",
        version=1,
        kind=kind,
        period="2026-11",
        targets=("exports_yoy",),
        status="running",
        owner=DEAD,
        pid=1,
        host="h",
        attempts=attempts,
        started_at=started,
        finished_at=None,
        detail="",
    )


def test_recovery_resumes_a_pre_release_within_its_grace_only() -> None:
    now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    grace = timedelta(hours=6)
    runs = [
        _run("pre-release", now - timedelta(hours=1)),
        _run("pre-release", now - timedelta(hours=7)),
        _run("pre-release", now - timedelta(minutes=5), attempts=MAX_ATTEMPTS),
        _run("run", now - timedelta(minutes=5)),
        _run("forecast", now - timedelta(minutes=5)),
    ]
    plans = plan_recovery(runs, now, grace)
    assert [p.action for p in plans] == ["resume", "abandon", "abandon", "abandon", "abandon"]
    assert "misfire grace" in plans[1].reason
    assert f"interrupted {MAX_ATTEMPTS} times" in plans[2].reason


def test_job_runs_table_is_created_on_an_existing_store(service) -> None:
    with service.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE job_runs"))
    from forecasting.service import open_service

    again = open_service(service.settings)
    assert again.job_runs.runs() == []
