"""The scheduler's job functions (referenced as ``forecasting.jobs:<name>``).

Each loads the settings itself (arguments are plain strings, so the job store can serialise
them), writes the service store before MLflow, and raises on failure so the scheduler logs it.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa

from forecasting.config import load_settings
from forecasting.db import meta_table, write_meta
from forecasting.errors import TrackingError
from forecasting.service import Service, open_service

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
    period: str, config_path: str | None = None, today: date | None = None
) -> list[str]:
    """Refit, refresh the recent backtest, forecast ``period`` against the consensus known
    now, record to the ledger and MLflow.

    Running it twice for one release records a second forecast under the next version,
    ``pre-release:PERIOD:vN`` (ledger job id), and reuses registry versions of the same data.

    Raises:
        TrackingError: MLflow failed; the forecast is in the ledger all the same and
            :func:`catch_up_tracking` logs it later.
    """
    from forecasting.jobs.main import main_job

    svc = _service(config_path)
    prefix = f"pre-release:{period}:v"
    version = len(svc.ledger.jobs(prefix)) // len(svc.settings.targets.names) + 1
    job = main_job(
        svc, today=today, period=period, origin="pre-release", job_id=f"{prefix}{version}"
    )
    if job.data_status is not None:
        from forecasting.jobs.inbox import log_overdue

        log_overdue(svc.settings, f"pre-release:{period}", job.data_status.summary())
    if job.tracking_errors:
        raise TrackingError(
            f"forecast for {period} is in the ledger; MLflow logging failed "
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
    """Log to MLflow every ledger job that has no run yet (MLflow was unreachable when it ran):
    one run per job with the ledger rows, tagged like the original. Returns jobs caught up.

    Raises:
        TrackingError: MLflow is still unreachable (the next run tries again).
    """
    from forecasting import tracking

    svc = _service(config_path)
    done = 0
    ledger = svc.ledger.frame()
    unlogged = ledger[ledger["mlflow_run_id"].isna()]
    for job_id, rows in unlogged.groupby("job_id", sort=False):
        run_id = tracking.log_catch_up(svc.settings, str(job_id), rows)
        svc.ledger.attach_run(str(job_id), run_id)
        done += 1
    return done
