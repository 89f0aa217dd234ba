"""The tracking catch-up after kills: a unit's finished run is found, not logged twice; runs
killed mid-way are ended (a unit's deleted with what is nested under it); live runs and
units of running or resumable job runs are left alone; one catch-up at a time."""

from __future__ import annotations

from datetime import UTC, datetime

import mlflow
import pandas as pd
from mlflow.entities import ViewType

from forecasting.jobs.settle import CATCH_UP_LOCK, catch_up
from forecasting.store_locks import StoreLock, store_identity
from forecasting.tracking import log_catch_up
from forecasting.tracking._store import (
    STORE_TAG,
    WRITER_TAG,
    connected,
    experiment_id,
    store_digest,
)
from tests.forecasting.jobs.test_job_runs import DEAD, kill_owner

PERIOD = "2026-11"


def _client(service) -> mlflow.MlflowClient:  # noqa: ANN001
    uri = service.settings.mlflow.tracking_uri
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _unit(service, kind: str = "pre-release", target: str = "exports_yoy") -> str:  # noqa: ANN001
    """A job run of one unit, recorded in the ledger, its process then killed."""
    run = service.job_runs.start(f"{kind}:{PERIOD}", kind, [target], PERIOD)
    unit = run.units()[target]
    rows = pd.DataFrame(
        {"target": [target] * 2, "period": [PERIOD] * 2, "as_of": ["2026-11-30"] * 2}
        | {"model": ["naive", "ensemble"], "yhat": [1.0, 2.0], "consensus": [1.5, 1.5]}
    )
    service.ledger.record_unit(rows, job_id=unit, origin=kind)
    kill_owner(service, run.id, started=datetime(2026, 1, 1, tzinfo=UTC))  # beyond the grace
    return unit


def _dead_run(service, target: str, tags: dict[str, str], parent: str | None = None) -> str:  # noqa: ANN001
    """A run left RUNNING by a killed process (writer tags naming a dead lease)."""
    url = service.settings.service.database_url
    owner = {WRITER_TAG: DEAD, STORE_TAG: store_digest(store_identity(url))}
    with connected(service.settings) as mf:
        exp = experiment_id(mf, service.settings, target)
    first = owner | tags | ({"mlflow.parentRunId": parent} if parent else {})
    return _client(service).create_run(exp, tags=first).info.run_id


def _unit_runs(service, unit: str) -> list:  # noqa: ANN001
    client = _client(service)
    exps = [e.experiment_id for e in client.search_experiments()]
    return client.search_runs(exps, f"tags.job_id = '{unit}'", run_view_type=ViewType.ALL)


def test_a_finished_run_is_found_and_a_killed_one_replaced(service) -> None:
    found_unit, killed_unit = _unit(service), _unit(service, target="imports_yoy")
    rows = service.ledger.frame()
    # killed after finishing its run, before writing it to the ledger
    finished = log_catch_up(service.settings, found_unit, rows[rows["job_id"] == found_unit])
    # killed while writing: its run and a nested one left RUNNING
    orphan = _dead_run(service, "imports_yoy", {"job_id": killed_unit})
    child = _dead_run(service, "imports_yoy", {"kind": "backtest"}, parent=orphan)
    other = _dead_run(service, "exports_yoy", {"kind": "backtest"})  # a killed `backtest`
    done = catch_up(service)
    assert done.found == [found_unit] and done.logged == [killed_unit]
    assert set(done.swept) == {orphan, child, other}
    ledger = service.ledger.frame().set_index("job_id")["mlflow_run_id"]
    assert set(ledger[found_unit]) == {finished}
    client = _client(service)
    for rid in (orphan, child):
        run = client.get_run(rid)
        assert run.info.status == "KILLED" and run.info.lifecycle_stage == "deleted"
    assert client.get_run(other).info.status == "KILLED"  # ended, kept
    assert client.get_run(other).info.lifecycle_stage == "active"
    new = client.get_run(ledger[killed_unit].iloc[0])
    assert new.info.status == "FINISHED" and new.data.tags["job_id"] == killed_unit
    active = [r for r in _unit_runs(service, killed_unit) if r.info.lifecycle_stage == "active"]
    assert [r.info.run_id for r in active] == [new.info.run_id]  # logged once
    again = catch_up(service)
    assert not again.logged and not again.found and not again.swept


def test_live_work_is_left_alone(service) -> None:
    unit = _unit(service)
    live = service.job_runs.start(f"run:{PERIOD}", "run", ["exports_yoy"], None)
    live_unit = live.units()["exports_yoy"]
    service.ledger.record_unit(
        pd.DataFrame(
            {"target": ["exports_yoy"], "period": [PERIOD], "as_of": ["2026-11-30"]}
            | {"model": ["naive"], "yhat": [1.0]}
        ),
        job_id=live_unit,
        origin="run",
    )
    resumable = service.job_runs.start(f"pre-release:{PERIOD}", "pre-release", ["x"], PERIOD)
    kill_owner(service, resumable.id)  # just now: within the grace, the scheduler resumes it
    with connected(service.settings) as mf:
        exp = experiment_id(mf, service.settings, "exports_yoy")
    untagged = _client(service).create_run(exp)  # someone else's run: never judged
    lock = StoreLock(service.settings.service.database_url, CATCH_UP_LOCK)
    assert lock.try_acquire()
    try:
        assert catch_up(service).busy  # another catch-up runs: nothing done
    finally:
        lock.release()
    done = catch_up(service)
    assert done.logged == [unit] and live_unit in done.waiting
    assert service.job_runs.get(resumable.id).status == "running"  # left to the scheduler
    assert service.job_runs.get(unit.rsplit(":", 1)[0]).status == "abandoned"
    assert service.job_runs.get(live.id).status == "running"
    assert _client(service).get_run(untagged.info.run_id).info.status == "RUNNING"
