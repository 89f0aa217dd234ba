"""The scheduler's job functions (referenced as ``forecasting.jobs:<name>``).

Each loads the settings itself (arguments are plain strings, so the job store can serialise
them), writes the service store before MLflow, and raises on failure so the scheduler logs it.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from forecasting.config import load_settings
from forecasting.db import write_meta
from forecasting.errors import TrackingError
from forecasting.service import Service, open_service
from forecasting.tables import meta_table

__all__ = [
    "catch_up_tracking",
    "missed_releases",
    "post_release_job",
    "pre_release_job",
    "record_missed",
]


def _service(config_path: str | None) -> Service:
    return open_service(load_settings(config_path))


def pre_release_job(
    period: str,
    config_path: str | None = None,
    today: date | None = None,
    resume: str | None = None,
) -> list[str]:
    """Refit, refresh the recent backtest, forecast ``period`` against the consensus known
    now, record to the ledger and MLflow.

    Each run is a new job run ``pre-release:PERIOD:vN`` (the version allocated atomically),
    its targets' ledger rows under ``pre-release:PERIOD:vN:<target>``; registry versions of
    the same data are reused. ``resume``: finish the interrupted job run of that id instead
    (the scheduler does it on start): the targets it recorded are kept, the others forecast.

    Raises:
        TrackingError: MLflow failed; the forecasts are in the ledger all the same and
            :func:`catch_up_tracking` logs them later.
        ForecastingError: a target failed (the others were forecast and recorded).
    """
    from forecasting.jobs.main import main_job

    svc = _service(config_path)
    job = main_job(svc, today=today, period=period, origin="pre-release", resume=resume)
    if job.failures:
        target, first = next(iter(job.failures.items()))
        raise type(first)(f"{job.job_id}: {job.summary()}") from first
    if job.data_status is not None:
        from forecasting.jobs.inbox import log_overdue

        log_overdue(svc.settings, f"pre-release:{period}", job.data_status.summary())
    if job.tracking_errors:
        raise TrackingError(
            f"{job.job_id}: the forecast for {period} is in the ledger; MLflow logging failed "
            f"and will be retried: {job.tracking_errors[0]}"
        )
    return [r.run_id or "" for r in job.runs]


def post_release_job(
    period: str, deadline: str | None = None, config_path: str | None = None
) -> int:
    """Score the ledger's forecasts for ``period`` once every target's actual is in, and log
    the scores to MLflow.

    Raises:
        NotReleasedError: an actual is missing (the scheduler retries until ``deadline``).
        TrackingError: the scores could not be logged (they are recomputable from the ledger).
    """
    from forecasting import tracking
    from forecasting.usecases import score_period

    svc = _service(config_path)
    scored = score_period(svc, period)
    tracking.log_score(svc.settings, scored)
    return len(scored.scored)


def record_missed(period: str, config_path: str | None = None) -> None:
    """Record that ``period``'s actual never arrived before the retry deadline."""
    svc = _service(config_path)
    value = json.dumps({"period": period, "recorded_at": datetime.now().isoformat()})
    write_meta(svc.engine, f"missed:{period}", value)


def missed_releases(service: Service) -> list[str]:
    with service.engine.connect() as conn:
        keys = conn.execute(
            sa.select(meta_table.c.key).where(meta_table.c.key.like("missed:%"))
        ).scalars()
        return sorted(k.split(":", 1)[1] for k in keys)


def catch_up_tracking(config_path: str | None = None) -> int:
    """Log to MLflow every ledger unit that has no run yet (MLflow was unreachable, or the
    process was killed), once: see :func:`forecasting.jobs.settle.catch_up`. Returns the
    units given a run (a new one or the finished one found).

    Raises:
        TrackingError: MLflow is still unreachable (the next run tries again).
    """
    from forecasting.jobs.settle import catch_up

    done = catch_up(_service(config_path))
    return len(done.logged) + len(done.found)
