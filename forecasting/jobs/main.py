"""The main job: per target, backtest the recent window, forecast the next release, record
it (ledger, then MLflow at once) and register every model as published, the champion by its
backtest. ``forecasting run`` and the scheduler's pre-release job run it.

A job is a job run (:mod:`forecasting.job_runs`) recorded before any work, and each target is
a unit of it: recorded in the ledger once, as ``<job run>:<target>``, with its own MLflow run.
A target that fails (a model or data error) is reported and the others go on. ``resume``
takes over a run whose process was killed: the targets it recorded are kept (their MLflow run
found or caught up), the others are forecast now, under the same job run.
Its result also carries the last release with a consensus against the models
(:func:`~forecasting.usecases.last_release`), how current the data is
(:func:`~forecasting.usecases.data_status`) and the year's surplus when the balance is a
target: the screen ``forecasting run`` prints under the forecast table.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta

from forecasting.cross_target import BALANCE
from forecasting.errors import ForecastingError, ScheduleError, TrackingError
from forecasting.job_runs import JobRun, job_of
from forecasting.jobs.record import Recorded, record_forecast
from forecasting.service import Service
from forecasting.tracking import preload
from forecasting.usecases import (
    BacktestResult,
    DataStatus,
    ForecastResult,
    LastReleaseResult,
    backtest,
    data_status,
    forecast_release,
    last_release,
)
from forecasting.usecases._common import model_set, models_for
from models.periods import target_periods

__all__ = ["JobResult", "TargetRun", "main_job"]


@dataclass
class TargetRun:
    """One target's part of a job: its backtest, forecast, what was recorded, the backtest's
    MLflow run and the registered versions (``registered``: {model: version})."""

    target: str
    backtest: BacktestResult
    forecast: ForecastResult
    recorded: Recorded
    backtest_run_id: str | None = None
    registered: dict[str, str] = field(default_factory=dict)
    champion: str | None = None
    tracking_error: str | None = None

    @property
    def run_id(self) -> str | None:
        return self.recorded.run_id


@dataclass
class JobResult:
    """A job run's outcome: ``runs`` the targets forecast now; ``carried`` the targets an
    interrupted attempt of the same run had recorded ({target: ledger job id}); ``failures``
    the targets that failed ({target: error}); ``settle_error`` why a carried target's MLflow
    run could not be settled (the catch-up does it later); ``last_release``: the last release
    with a consensus against the models (None if it could not be made: ``last_release_error``
    says why); ``data_status``: what is overdue; ``surplus``: the year's surplus projected with
    the same data (when the balance is a target), and its MLflow run."""

    job_id: str
    runs: list[TargetRun]
    seconds: float
    carried: dict[str, str] = field(default_factory=dict)
    failures: dict[str, ForecastingError] = field(default_factory=dict)
    settle_error: str | None = None
    last_release: LastReleaseResult | None = None
    data_status: DataStatus | None = None
    last_release_error: str | None = None
    surplus: object | None = None  # forecasting.surplus.SurplusProjection
    surplus_run_id: str | None = None

    @property
    def tracking_errors(self) -> list[str]:
        errors = [r.tracking_error for r in self.runs if r.tracking_error]
        return errors + ([self.settle_error] if self.settle_error else [])

    @property
    def ledger_rows(self) -> int:
        return sum(r.recorded.ledger_rows for r in self.runs)

    def summary(self) -> str:
        """One line: what the job run did and what failed."""
        parts = [f"forecast {', '.join(r.target for r in self.runs) or 'nothing'}"]
        if self.carried:
            parts.append(f"kept {', '.join(self.carried)} from the interrupted attempt")
        parts += [f"{t} failed: {type(e).__name__}: {e}" for t, e in self.failures.items()]
        parts += [f"MLflow: {e}" for e in self.tracking_errors]
        return "; ".join(parts)


def main_job(
    service: Service,
    *,
    today: date | None = None,
    targets: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    period: str | None = None,
    origin: str = "run",
    resume: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> JobResult:
    """Run the job for each target (default: the configured ones) as a new job run
    (``<origin>:<period or today>:vN``), or resume the interrupted run ``resume``.

    A failure to log to MLflow leaves ``tracking_error`` set on that target and the ledger
    rows without a run id (``tracking-catch-up`` logs them later); nothing else is lost.

    Raises:
        ScheduleError: ``resume`` is unknown, finished, or live in another process.
    """
    t0 = time.perf_counter()
    today = today or date.today()
    store = service.job_runs
    if resume:
        run = store.take_over(store.get(resume))
        if run is None:
            raise ScheduleError(
                f"job run {resume} is not interrupted (finished, or running in another "
                "process): nothing to resume"
            )
        origin, period = run.kind, run.period
    else:
        names = list(targets or service.settings.targets.names)
        run = store.start(job_of(origin, period or today.isoformat()), origin, names, period)
    result = JobResult(run.id, [], 0.0)
    try:
        _units(service, run, result, today, models, origin, period, progress)
        _screens(service, result, today, list(run.units()), models)
    except BaseException as exc:
        store.finish(run, "failed", f"{type(exc).__name__}: {exc}")
        raise
    ok = not result.failures and not result.tracking_errors
    store.finish(run, "succeeded" if ok else "failed", result.summary())
    result.seconds = time.perf_counter() - t0
    return result


def _units(
    service: Service,
    run: JobRun,
    result: JobResult,
    today: date,
    models: Sequence[str] | None,
    origin: str,
    period: str | None,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    from forecasting.jobs.settle import settle_units

    units = run.units()
    states = service.ledger.unit_states(list(units.values()))
    window = service.settings.backtest.recent_window
    todo = {t: u for t, u in units.items() if u not in states}
    result.carried.update({t: u for t, u in units.items() if u in states})
    with _shared_workers(service, todo, models):
        for target, unit in todo.items():
            try:
                released = service.observations.release_dates(target)
                end = max(p for p, d in released.items() if d <= today)
                periods = target_periods("2000-01", end)[-window:]
                cb = (lambda d, n, t=target: progress(t, d, n)) if progress else None
                own = models_for(target, models)  # the models of --models this target takes
                bt = backtest(
                    service,
                    target,
                    str(periods[0]),
                    end,
                    models=own,
                    progress=cb,
                    # MLflow's imports and store opened while the workers fit
                    while_fitting=functools.partial(preload, service.settings),
                )
                fc = forecast_release(service, target, today=today, period=period, models=own)
                recorded = record_forecast(service, fc, origin=origin, job_id=unit)
            except ForecastingError as exc:
                if isinstance(exc, ScheduleError):
                    raise
                result.failures[target] = exc
                continue
            target_run = TargetRun(target, bt, fc, recorded, tracking_error=recorded.tracking_error)
            if recorded.run_id is not None:
                _track(service, target_run)
            result.runs.append(target_run)
    if run.attempts > 1:  # what the interrupted attempt left: RUNNING runs, unlogged units
        from forecasting import tracking

        unsettled = [u for u in result.carried.values() if states[u][1] is None]
        try:
            tracking.sweep_dead_runs(service.settings)
            settle_units(service, unsettled)
        except TrackingError as exc:
            result.settle_error = str(exc)


def _screens(
    service: Service,
    result: JobResult,
    today: date,
    targets: Sequence[str],
    models: Sequence[str] | None,
) -> None:
    """What ``forecasting run`` prints under the forecast table: what is overdue, the last
    release with a consensus, the year's surplus (each extra: a failure is said, not raised)."""
    result.data_status = data_status(service, today)
    try:
        result.last_release = last_release(service, today=today, targets=targets, models=models)
    except ForecastingError as exc:  # the job's forecasts are recorded; this screen is extra
        result.last_release_error = str(exc)
    if BALANCE in [r.target for r in result.runs]:
        _surplus(service, result, today)


def _surplus(service: Service, job: JobResult, today: date) -> None:
    """The year's surplus as known at the job's as_of, logged to MLflow (a failure to log
    leaves the projection and says so)."""
    from forecasting import tracking
    from forecasting.usecases.surplus import first_release_balances, surplus

    as_of = today + timedelta(days=1)
    job.surplus = surplus(service, as_of=as_of)
    balances = first_release_balances(service.observations.frame(), as_of)
    try:
        job.surplus_run_id = tracking.log_surplus(service.settings, job.surplus, balances)
    except TrackingError as exc:
        run = next(r for r in job.runs if r.target == BALANCE)
        run.tracking_error = run.tracking_error or str(exc)


def _shared_workers(
    service: Service, todo: dict[str, str], models: Sequence[str] | None
) -> AbstractContextManager[None]:
    """The job's backtests (and the forecasts' history) share one pool of worker processes,
    forked once; the model libraries are loaded before it, once for the job's own forecasts
    and the workers, not once per worker and target."""
    from forecasting.worker_pool import shared_workers

    b = service.settings.backtest
    if not todo or b.dask_scheduler:
        return contextlib.nullcontext()
    aliases: list[str] = []
    for target in todo:
        with contextlib.suppress(ForecastingError):  # the target's own unit says why
            aliases += model_set(service, target, models_for(target, models))
    return shared_workers(service.observations.frame(), b.jobs, list(dict.fromkeys(aliases)))


def _track(service: Service, run: TargetRun) -> None:
    """The job's backtest nested under its forecast run, and the models registered."""
    from forecasting import tracking

    ok = run.forecast.rows[run.forecast.rows["yhat"].notna()]["model"]
    ranked = run.backtest.ranked(list(ok))
    run.champion = ranked[0] if ranked else None
    try:
        run.backtest_run_id = tracking.log_backtest(
            service.settings, run.backtest, parent_run_id=run.run_id, champion=run.champion
        )
        reg = tracking.register_published(
            service.settings,
            run.forecast,
            run.backtest,
            backtest_run_id=run.backtest_run_id,
            parent_run_id=run.run_id,
        )
        run.registered, run.champion = reg.versions, reg.champion
    except TrackingError as exc:
        run.tracking_error = str(exc)
