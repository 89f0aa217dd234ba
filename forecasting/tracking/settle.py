"""What a killed process leaves in MLflow, settled: no run stays RUNNING, no unit is logged
twice.

Every run is created with its writer's tags (the process lease, see
:func:`~forecasting.tracking._store.owner_tags`) and a forecast's run with its ``job_id`` (the
ledger unit). So:

- :func:`sweep_dead_runs` ends as ``KILLED`` every RUNNING run of the project's experiments
  whose writer process is gone (or is this process, but the run is not being written any
  more). A killed run of a ledger unit is deleted with everything nested under it: the unit is
  logged again by the catch-up (or its finished run is found), so it is logged once.
- :func:`settle_unit` gives a ledger unit without a run its one run: the FINISHED run tagged
  with its ``job_id`` if one exists (the process was killed after finishing it and before
  recording it in the ledger), else a new caught-up run from its ledger rows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from forecasting.config import Settings
from forecasting.tracking._run import OPEN_RUNS
from forecasting.tracking._store import (
    STORE_TAG,
    WRITER_TAG,
    connected,
    experiment_id,
    store_digest,
)

__all__ = ["settle_unit", "sweep_dead_runs"]

JOB_TAG = "job_id"
#: this process's own RUNNING run not being written is stale only after this long (the
#: moment between creating a run and registering it as open is not staleness)
_OWN_RUN_GRACE_SECONDS = 300.0
_PARENT = "tags.`mlflow.parentRunId`"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _experiments(client: Any, settings: Settings) -> list[str]:
    prefix = settings.mlflow.experiment_prefix
    found = client.search_experiments(filter_string=f"name LIKE {_quoted(prefix + '-%')}")
    return [e.experiment_id for e in found]


def _all_runs(client: Any, experiments: list[str], where: str) -> list[Any]:
    if not experiments:
        return []
    out: list[Any] = []
    token = None
    while True:
        page = client.search_runs(experiments, where, max_results=1000, page_token=token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def _writer_alive(settings: Settings) -> Callable[[Any], bool]:
    """Whether a RUNNING run's writer may still be writing it: runs of another store's
    processes or without writer tags are never judged; this process's own runs are alive
    only while open."""
    from forecasting.errors import StoreError
    from forecasting.store_locks import lock_is_held, process_lease, store_identity

    url = settings.service.database_url
    mine = store_digest(store_identity(url))
    try:
        me = process_lease(url).name
    except StoreError:
        me = None
    cache: dict[str, bool] = {}

    def alive(run: Any) -> bool:
        tags = run.data.tags
        writer = tags.get(WRITER_TAG)
        if not writer or tags.get(STORE_TAG) != mine:
            return True
        if writer == me:  # stale once no longer written (and not just being created)
            age = time.time() - run.info.start_time / 1000
            return run.info.run_id in OPEN_RUNS or age < _OWN_RUN_GRACE_SECONDS
        if writer not in cache:
            cache[writer] = lock_is_held(url, writer)
        return cache[writer]

    return alive


def _subtree(client: Any, experiments: list[str], run_id: str) -> list[str]:
    """``run_id`` and every run nested under it, children first."""
    out: list[str] = []
    for child in _all_runs(client, experiments, f"{_PARENT} = {_quoted(run_id)}"):
        out.extend(_subtree(client, experiments, child.info.run_id))
    return [*out, run_id]


def _retire(client: Any, experiments: list[str], runs: list[Any]) -> list[str]:
    """End ``runs`` as KILLED; delete those of a ledger unit with all nested under them. A
    run another sweep ended or deleted meanwhile is skipped."""
    from mlflow.exceptions import MlflowException

    def quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(MlflowException):
            call(*args, **kwargs)

    for run in runs:
        quietly(client.set_terminated, run.info.run_id, status="KILLED")
    for run in runs:
        if run.data.tags.get(JOB_TAG):
            for rid in _subtree(client, experiments, run.info.run_id):
                if client.get_run(rid).info.status == "RUNNING":
                    quietly(client.set_terminated, rid, status="KILLED")
                quietly(client.delete_run, rid)
    return [r.info.run_id for r in runs]


def sweep_dead_runs(settings: Settings) -> list[str]:
    """End every RUNNING run whose writer is gone (see the module docstring); returns their
    ids.

    Raises:
        TrackingError: MLflow unreachable.
    """
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        experiments = _experiments(client, settings)
        alive = _writer_alive(settings)
        running = _all_runs(client, experiments, "attributes.status = 'RUNNING'")
        return _retire(client, experiments, [r for r in running if not alive(r)])


def settle_unit(settings: Settings, unit: str, rows: pd.DataFrame) -> tuple[str | None, bool]:
    """The one MLflow run of ledger unit ``unit`` (its rows without a run) and whether it is
    new: a FINISHED run already tagged with it (``False``), or a new caught-up run
    (``True``). ``(None, False)`` while a live process still writes one (try again later).

    Raises:
        TrackingError: MLflow unreachable.
    """
    from forecasting.tracking.runs import log_catch_up

    target = str(rows["target"].iloc[0])
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, target)
        runs = _all_runs(client, [exp], f"tags.{JOB_TAG} = {_quoted(unit)}")
        finished = sorted(
            (r for r in runs if r.info.status == "FINISHED"), key=lambda r: r.info.start_time
        )
        alive = _writer_alive(settings)
        running = [r for r in runs if r.info.status == "RUNNING"]
        _retire(client, [exp], [r for r in running if not alive(r)])
        if finished:
            return finished[0].info.run_id, False
        if any(alive(r) for r in running):
            return None, False
    return log_catch_up(settings, unit, rows), True
