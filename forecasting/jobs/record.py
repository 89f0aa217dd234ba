"""Recording a forecast: the ledger first, then its MLflow run, at once.

A forecast made before its release (``as_of`` after today) goes to the ledger (the track
record of what was said before each release) and is logged to MLflow in the same call; the
ledger rows carry the run id. A look back (``as_of`` today or earlier) is logged but not
recorded in the ledger. When MLflow is unreachable the rows stay in the ledger without a run
id and ``tracking-catch-up`` logs them later; :class:`Recorded` says so.

Each recorded forecast is a *unit* of a job run (:mod:`forecasting.job_runs`): the main job
passes its unit's id; a forecast recorded on its own (``forecasting forecast``) is a job run
``forecast:PERIOD:vN`` of one unit. The unit's rows are written once, its run is created with
the unit's id as tag ``job_id`` and attached to exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasting.errors import TrackingError
from forecasting.service import Service
from forecasting.usecases import ForecastResult

__all__ = ["Recorded", "ledger_rows", "record_forecast"]


@dataclass
class Recorded:
    """What recording a forecast wrote: the ledger job and its rows (0 for a look back), the
    MLflow run and fan chart, or the tracking error that left the rows for the catch-up."""

    job_id: str | None
    ledger_rows: int
    run_id: str | None = None
    chart: Path | None = None
    tracking_error: str | None = None


def ledger_rows(fc: ForecastResult) -> pd.DataFrame:
    """A forecast's rows as the ledger keeps them (target, period, as_of and consensus set)."""
    r = fc.rows.copy()
    r["target"], r["as_of"], r["consensus"] = fc.target, fc.as_of, fc.consensus
    r["period"] = fc.period
    return r


def record_forecast(
    service: Service,
    fc: ForecastResult,
    *,
    origin: str,
    job_id: str | None = None,
    parent_run_id: str | None = None,
) -> Recorded:
    """Record ``fc`` in the ledger (unless it is a look back) as unit ``job_id`` (default: a
    new job run of its own) and log its MLflow run; never raises for MLflow."""
    if fc.look_back or job_id is not None:
        return _record(service, fc, origin=origin, job_id=job_id, parent_run_id=parent_run_id)
    from forecasting.job_runs import job_of, unit_id

    runs = service.job_runs
    run = runs.start(job_of(origin, fc.period), origin, [fc.target], fc.period)
    try:
        out = _record(
            service, fc, origin=origin, job_id=unit_id(run.id, fc.target), parent_run_id=None
        )
    except BaseException as exc:
        runs.finish(run, "failed", f"{type(exc).__name__}: {exc}")
        raise
    runs.finish(run, "failed" if out.tracking_error else "succeeded", out.tracking_error or "")
    return out


def _record(
    service: Service,
    fc: ForecastResult,
    *,
    origin: str,
    job_id: str | None,
    parent_run_id: str | None,
) -> Recorded:
    from forecasting import tracking

    n = 0
    if not fc.look_back:
        assert job_id is not None
        n = service.ledger.record_unit(ledger_rows(fc), job_id=job_id, origin=origin)
    job = None if fc.look_back else job_id
    kind = "look-back" if fc.look_back else origin if origin == "forecast" else f"{origin} job"
    out = Recorded(job, n)
    try:
        out.run_id, out.chart = tracking.log_forecast(
            service.settings,
            fc,
            kind=kind,
            job_id=job,
            ledger_rows=n,
            parent_run_id=parent_run_id,
        )
    except TrackingError as exc:
        out.tracking_error = str(exc)
        return out
    if job is not None:
        service.ledger.attach_run(job, out.run_id)
    return out
