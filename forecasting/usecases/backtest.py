"""Use case: the pseudo-real-time backtest of one target over a range of periods.

Pure over the stores: it reads the observations and the consensus, runs
:func:`forecasting.backtest.run_backtest`, keeps the rows in the backtest store (later
forecasts weight their combinations by them) and returns a :class:`BacktestResult`. No
MLflow, no printing: :mod:`forecasting.tracking` logs the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.backtest import BACKTEST_COLUMNS, data_fingerprint, run_backtest
from forecasting.compare import scoreboard
from forecasting.cross_target import YOY_INPUTS, headline, identity_in, identity_origin_rows
from forecasting.metrics import accuracy_table, trailing_mae
from forecasting.observations import first_release_dates
from forecasting.service import Service
from forecasting.usecases._common import checked_target, data_as_of, model_set
from models.periods import target_periods

__all__ = ["CHAMPION_WINDOW", "BacktestResult", "backtest", "stored_or_run", "write_backtest_csv"]

Progress = Callable[[int, int], None]
#: the champion of a target is the model with the best MAE over this many trailing periods
CHAMPION_WINDOW = 36


@dataclass(frozen=True)
class BacktestResult:
    """A backtest and its scores.

    ``frame``: the backtest rows (``BACKTEST_COLUMNS`` + ``error``, ``uses_indicators``);
    ``metrics``: :func:`forecasting.metrics.accuracy_table`; ``consensus``: the best poll per
    period (period -> value) for the target; ``board``: each model against the consensus over
    the periods of the range that have a poll (:func:`forecasting.compare.scoreboard`; None
    when none has); ``trailing_mae``: each model's MAE over the last
    :data:`CHAMPION_WINDOW` periods (the champion rule); ``data_as_of``: the latest release
    date in the store; ``reused`` and ``fitted``: the origins (warm-up included) whose rows
    were taken from the store of origin rows (:mod:`forecasting.origin_cache`), and those
    fitted.
    """

    target: str
    start: str
    end: str
    models: tuple[str, ...]
    frame: pd.DataFrame
    metrics: pd.DataFrame
    consensus: pd.Series
    board: pd.DataFrame | None
    trailing_mae: pd.Series
    fingerprint: str
    data_as_of: date | None
    seconds: float
    reused: int = 0
    fitted: int = 0

    @property
    def failures(self) -> pd.DataFrame:
        """``target, period, model, as_of, error`` of every failed model at an origin."""
        failed = self.frame[self.frame["yhat"].isna()]
        return failed.loc[:, ["target", "period", "model", "as_of", "error"]]

    @property
    def as_of_range(self) -> tuple[date, date]:
        return min(self.frame["as_of"]), max(self.frame["as_of"])

    def ranked(self, among: Sequence[str] | None = None) -> list[str]:
        """Models by trailing MAE, best first (the champion rule), only those in ``among``
        when given (e.g. the models that forecast the next release)."""
        order = [str(m) for m in self.trailing_mae.sort_values(kind="stable").index]
        return order if among is None else [m for m in order if m in set(among)]


def backtest(
    service: Service,
    target: str,
    start: str,
    end: str,
    *,
    models: Sequence[str] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    warmup: int | None = None,
    while_fitting: Callable[[], object] | None = None,
) -> BacktestResult:
    """Backtest ``target`` over ``[start, end]`` (see :func:`run_backtest`; ``warmup``: months
    of origins before ``start`` that only weight the combinations; ``while_fitting``: called
    while the worker processes fit, e.g. :func:`forecasting.tracking.preload`).

    Raises:
        DataError: an unknown target or no released period in the range.
        ModelError: an unknown model alias.
    """
    checked_target(target)
    aliases = model_set(service, target, models)
    obs = service.observations.frame()
    consensus = service.consensus.best(target).set_index("period")["consensus"]
    t0 = time.perf_counter()
    extra = None
    if identity_in(target, aliases):  # the balance identity, from the y/y backtests
        sets = {t: model_set(service, t) for t in YOY_INPUTS}
        rows = {
            t: stored_or_run(service, t, start, end, [headline(sets[t])], jobs, progress)
            for t in YOY_INPUTS
        }
        extra = identity_origin_rows(obs, rows, sets, [str(p) for p in target_periods(start, end)])
    frame = run_backtest(
        obs,
        target,
        start,
        end,
        aliases,
        jobs=jobs or service.settings.backtest.jobs,
        dask_scheduler=service.settings.backtest.dask_scheduler,
        progress=progress,
        while_fitting=while_fitting,
        warmup=warmup,
        extra_rows=extra,
        consensus=consensus,
        keep_warmup=True,
        origin_rows=service.origin_rows,  # origins whose inputs did not change: not refitted
    )
    reused = int(frame.attrs.get("origins_reused", 0))
    fitted = int(frame.attrs.get("origins_fitted", 0))
    fingerprint = data_fingerprint(obs)
    # the warm-up origins' rows are kept where the store has none (the errors later forecasts
    # are weighted and calibrated on); the reported ones replace what was there
    service.backtests.save(fingerprint, frame[~frame["reported"]], replace=False)
    frame = frame[frame["reported"]].reset_index(drop=True)
    service.backtests.save(fingerprint, frame)
    polled = frame[frame["period"].isin(consensus.index)]
    return BacktestResult(
        target=target,
        start=str(pd.Period(start, freq="M")),
        end=str(pd.Period(end, freq="M")),
        models=tuple(aliases),
        frame=frame,
        metrics=accuracy_table(frame),
        consensus=consensus,
        board=scoreboard(polled, consensus) if not polled.empty else None,
        trailing_mae=trailing_mae(frame, CHAMPION_WINDOW),
        fingerprint=fingerprint,
        data_as_of=data_as_of(obs),
        seconds=time.perf_counter() - t0,
        reused=reused,
        fitted=fitted,
    )


def stored_or_run(
    service: Service,
    target: str,
    start: str,
    end: str,
    require: Sequence[str],
    jobs: int | None = None,
    progress: Progress | None = None,
    *,
    models: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The stored backtest rows of ``target`` on this data, when the ``require``d models have a
    row at every released period of ``[start, end]``; else the configured set backtested over
    that range (and kept; ``models``: another set). Returns every row of the target it has."""
    obs = service.observations.frame()
    stored = service.backtests.load(data_fingerprint(obs), target)
    released = set(first_release_dates(obs, target).index)
    periods = [str(p) for p in target_periods(start, end) if str(p) in released]
    have = stored.groupby("period")["model"].agg(set) if len(stored) else pd.Series(dtype=object)
    if all(p in have.index and set(require) <= have[p] for p in periods):
        return stored
    backtest(service, target, start, end, models=models, jobs=jobs, progress=progress)
    return service.backtests.load(data_fingerprint(obs), target)


def write_backtest_csv(result: BacktestResult, path: Path) -> Path | None:
    """The CSV with exactly ``BACKTEST_COLUMNS``; failures go to ``<stem>.failures.csv``
    beside it (returned), so an empty ``yhat`` always has its reason on record."""
    result.frame.loc[:, list(BACKTEST_COLUMNS)].to_csv(path, index=False)
    if result.failures.empty:
        return None
    fpath = path.with_name(path.stem + ".failures.csv")
    result.failures.to_csv(fpath, index=False)
    return fpath
