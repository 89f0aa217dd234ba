"""Pseudo-real-time rolling-origin backtest.

For each target period M in range, ``as_of`` is the day before M's first release; every model
is refitted on ``information_set(as_of)`` alone (no state carried across origins) and
forecasts M. Combination models (``ensemble``, ``ensemble_median``) are formed afterwards from
the member forecasts at the same origin, weighted only by member errors on periods whose
actual was public before ``as_of``.

Origins run in parallel worker processes (or on a Dask cluster when configured); a failure of
one model at one origin becomes a row with empty ``yhat`` and its error text, never a gap.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.calendar import target_periods
from forecasting.errors import DataError, ModelError
from forecasting.indicators import indicator_exog
from forecasting.observations import (
    first_release_actuals,
    first_release_dates,
    information_set,
    target_history,
)
from models.base import FORECAST_COLUMNS
from models.ensemble import JAN_FEB_MEMBER, combine_forecasts, inverse_mae_weights, jan_feb_centre
from models.periods import next_target_periods
from models.registry import model_class

__all__ = [
    "BACKTEST_COLUMNS",
    "COMBINERS",
    "Origin",
    "backtest_origins",
    "combiner_rows",
    "data_fingerprint",
    "forecast_at",
    "forecast_path",
    "known_errors",
    "run_backtest",
    "split_models",
]

BACKTEST_COLUMNS = ("target", "period", "model", "as_of", *FORECAST_COLUMNS[1:], "actual")
#: Models that combine the others' forecasts at an origin rather than fitting the data.
COMBINERS = {"ensemble": "weighted", "ensemble_median": "median"}


@dataclass(frozen=True)
class Origin:
    target: str
    period: str
    as_of: date


def data_fingerprint(observations: pd.DataFrame) -> str:
    """A short hash of the stored rows (all vintages): equal data, equal fingerprint."""
    f = observations.sort_values(["series", "period", "released"])
    text = f.loc[:, ["series", "period", "value", "released"]].to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def split_models(aliases: Sequence[str]) -> tuple[list[str], list[str]]:
    """(fitted models, combiners), checking every alias against the registry."""
    for a in aliases:
        model_class(a)  # an unknown alias raises UnknownModelError listing the known ones
    fitted = [a for a in aliases if a not in COMBINERS]
    return fitted, [a for a in aliases if a in COMBINERS]


def backtest_origins(observations: pd.DataFrame, target: str, start: str, end: str) -> list[Origin]:
    """One origin per target period in ``[start, end]`` that has a first release."""
    first = first_release_dates(observations, target)
    origins = [
        Origin(target, str(p), first[str(p)] - timedelta(days=1))
        for p in target_periods(start, end)
        if str(p) in first.index
    ]
    if not origins:
        raise DataError(f"no released {target} figures between {start} and {end}")
    return origins


def forecast_path(
    observations: pd.DataFrame,
    target: str,
    period: str,
    as_of: date,
    aliases: Sequence[str],
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Fit each model on the information set as of ``as_of`` and forecast every target period
    from the last known one up to ``period``.

    Returns:
        (rows, exog): rows are ``model, period, yhat, yhat_lo_80, ..., error,
        uses_indicators``, one per model and step (a failed model has one row for ``period``
        with NaN ``yhat`` and ``error``; ``uses_indicators``: the fitted model used indicators);
        exog is the indicator frame the exog-capable models saw (None if none ran).
    """
    info = information_set(observations, as_of)
    target_p = pd.Period(period, freq="M")
    history = target_history(info, target)
    history = history[history.index < target_p]
    if history.dropna().empty:
        return pd.DataFrame(
            [{"model": a, "period": period, "error": "no history"} for a in aliases]
        ), None
    history = history.loc[: history.last_valid_index()]
    last = history.index[-1]
    horizon = len([p for p in next_target_periods(last, 240) if p <= target_p])
    exog = None
    parts: list[pd.DataFrame] = []
    for alias in aliases:
        cls = model_class(alias)
        try:
            model = cls()
            if cls.supports_exog and exog is None:
                exog = indicator_exog(info, exog_indicators(aliases), target_p)
            x = exog if cls.supports_exog else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = model.fit(history, x).predict(horizon, x)
            nowcast = bool(getattr(model, "used_indicators", ()))
            parts.append(fc.assign(model=alias, error=None, uses_indicators=nowcast))
        except Exception as exc:  # noqa: BLE001 - any failure is recorded for this origin
            parts.append(
                pd.DataFrame(
                    [{"model": alias, "period": period, "error": f"{type(exc).__name__}: {exc}"}]
                )
            )
    return pd.concat(parts, ignore_index=True), exog


def forecast_at(
    observations: pd.DataFrame,
    target: str,
    period: str,
    as_of: date,
    aliases: Sequence[str],
) -> pd.DataFrame:
    """:func:`forecast_path` reduced to the row of ``period`` per model."""
    rows, _ = forecast_path(observations, target, period, as_of, aliases)
    return rows[rows["period"] == period].reset_index(drop=True)


def exog_indicators(aliases: Sequence[str]) -> list[str]:
    """Every indicator the exog-capable models among ``aliases`` use by default, in order."""
    names: list[str] = []
    for alias in aliases:
        cls = model_class(alias)
        if cls.supports_exog:
            for name in getattr(cls(), "indicators", ()):
                if name not in names:
                    names.append(name)
    return names


# -- parallel driver ---------------------------------------------------------------------------
_WORKER_OBS: pd.DataFrame | None = None


def _init_worker(observations: pd.DataFrame) -> None:
    """Each worker process keeps one copy of the observations and one BLAS thread (two
    processes on two cores; BLAS threads on top oversubscribe and slow fits several-fold)."""
    global _WORKER_OBS
    _WORKER_OBS = observations
    if multiprocessing.parent_process() is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


def _origin_task(
    origin: Origin, aliases: Sequence[str], observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The member rows at one origin, from ``observations`` (default: the worker's copy)."""
    obs = _WORKER_OBS if observations is None else observations
    assert obs is not None
    out = forecast_at(obs, origin.target, origin.period, origin.as_of, aliases)
    out["target"], out["as_of"] = origin.target, origin.as_of
    return out


def _collect(
    results: Iterable[pd.DataFrame], total: int, progress: Callable[[int, int], None] | None
) -> list[pd.DataFrame]:
    """The origin frames as they complete, reporting ``progress(done, total)`` after each."""
    parts: list[pd.DataFrame] = []
    for done, part in enumerate(results, 1):
        parts.append(part)
        if progress:
            progress(done, total)
    return parts


def run_backtest(
    observations: pd.DataFrame,
    target: str,
    start: str,
    end: str,
    aliases: Sequence[str],
    *,
    jobs: int = 1,
    dask_scheduler: str = "",
    progress: Callable[[int, int], None] | None = None,
    combine_window: int = 24,
    warmup: int | None = None,
) -> pd.DataFrame:
    """Run the backtest; see the module docstring.

    ``warmup``: with an ensemble among ``aliases``, the fitted models are also run at this
    many months of origins before ``start`` (default ``combine_window``) so that the ensemble's
    first reported origins are weighted by a track record, as a live ensemble would be; those
    rows are not returned. Months before the target's first release are skipped.

    Returns:
        the forecast frame plus ``actual``, ``error`` and ``uses_indicators`` (the
        ``BACKTEST_COLUMNS`` + those two; the flag is NaN for ensembles), one row per period and
        model, sorted by period then model order.
    """
    fitted, combiners = split_models(aliases)
    if combiners and not fitted:
        raise ModelError("an ensemble needs at least one fitted model beside it")
    if warmup is None:
        warmup = combine_window if combiners else 0
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}")
    origins = backtest_origins(observations, target, start, end)
    if warmup:
        before = pd.Period(start, freq="M") - 1
        with contextlib.suppress(DataError):  # nothing released that early: no warm-up
            first = str(before - warmup + 1)
            origins = backtest_origins(observations, target, first, str(before)) + origins
    if dask_scheduler:
        parts = _run_dask(observations, origins, fitted, dask_scheduler, progress)
    elif jobs <= 1 or len(origins) == 1:
        tasks = (_origin_task(o, fitted, observations) for o in origins)
        parts = _collect(tasks, len(origins), progress)
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            jobs, mp_context=ctx, initializer=_init_worker, initargs=(observations,)
        ) as pool:
            futures = [pool.submit(_origin_task, o, fitted) for o in origins]
            parts = _collect((f.result() for f in as_completed(futures)), len(origins), progress)
    frame = pd.concat(parts, ignore_index=True)
    actual = first_release_actuals(observations, target)
    if combiners:
        combined = combine_at_origins(
            frame, combiners, observations, target, combine_window, actual=actual
        )
        frame = pd.concat([frame, combined], ignore_index=True)
    frame["actual"] = frame["period"].map(actual)
    frame = frame[frame["period"] >= str(pd.Period(start, freq="M"))]
    order = {a: i for i, a in enumerate(aliases)}
    frame = frame.assign(_o=frame["model"].map(order)).sort_values(["period", "_o"])
    cols = [*BACKTEST_COLUMNS, "error", "uses_indicators"]
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    return frame.loc[:, cols].reset_index(drop=True)


def _run_dask(
    observations: pd.DataFrame,
    origins: list[Origin],
    fitted: list[str],
    address: str,
    progress: Callable[[int, int], None] | None,
) -> list[pd.DataFrame]:
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
        if address == "local"
        else None
    )
    client = Client(cluster if cluster is not None else address)
    try:
        obs_future = client.scatter(observations, broadcast=True)
        futures = [client.submit(_origin_task, o, fitted, obs_future, pure=False) for o in origins]
        return _collect((f.result() for f in dask_completed(futures)), len(origins), progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def known_errors(frame: pd.DataFrame, released: pd.Series, as_of: date) -> pd.DataFrame:
    """``model, period, abs_error`` of the fitted models' rows in ``frame`` (which has an
    ``actual`` column) whose period was first released (``released``: period -> date) before
    ``as_of``: the errors a combination formed at ``as_of`` may weight by."""
    f = frame[
        frame["yhat"].notna() & frame["actual"].notna() & ~frame["model"].isin(list(COMBINERS))
    ].copy()
    f = f[f["period"].map(released) < as_of]
    f["abs_error"] = (f["yhat"] - f["actual"]).abs()
    return f.loc[:, ["model", "period", "abs_error"]]


def combine_at_origins(
    frame: pd.DataFrame,
    combiners: Sequence[str],
    observations: pd.DataFrame,
    target: str,
    window: int = 24,
    *,
    actual: pd.Series | None = None,
    top: float = 0.5,
    jan_feb: str | None = JAN_FEB_MEMBER,
) -> pd.DataFrame:
    """Ensemble rows per origin from member rows, weights from errors known at that origin
    (:func:`models.ensemble.inverse_mae_weights` with ``window`` and ``top``), and the
    Jan–Feb rule with ``jan_feb`` (:func:`jan_feb_centre`; None = off).

    ``actual`` is :func:`first_release_actuals` of ``target`` (computed if not given).
    """
    if actual is None:
        actual = first_release_actuals(observations, target)
    released = first_release_dates(observations, target)
    scored = frame.assign(actual=frame["period"].map(actual))
    weighted = any(COMBINERS[alias] == "weighted" for alias in combiners)
    # every error once, with its period's release date; each origin takes those before it
    errors = known_errors(scored, released, date.max)
    errors_released = errors["period"].map(released)
    parts: list[pd.DataFrame] = []
    for (period, as_of), members in frame.groupby(["period", "as_of"], sort=True):
        past = errors[errors_released < as_of]
        weights = inverse_mae_weights(past, window=window, top=top) if weighted else None
        centre = jan_feb_centre(members, period, jan_feb)  # an origin's period is its first step
        rows = combiner_rows(members, combiners, weights, period, centre)
        parts.append(rows.assign(target=target, as_of=as_of))
    return pd.concat(parts, ignore_index=True)


def combiner_rows(
    members: pd.DataFrame,
    combiners: Sequence[str],
    weights: dict[str, float] | None,
    period: str,
    centre_on: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Each combiner's rows (``model, period, yhat``, bounds, ``error``) over the member rows
    with a forecast; the weighted one uses ``weights`` and ``centre_on`` (the Jan–Feb rule,
    :func:`jan_feb_centre`; see :func:`models.ensemble.combine_forecasts`). With no member
    forecast, one error row per combiner at ``period``."""
    good = members[members["yhat"].notna()]
    parts = []
    for alias in combiners:
        if good.empty:
            error = {"model": alias, "period": period, "error": "no member forecast to combine"}
            parts.append(pd.DataFrame([error]))
            continue
        weighted = COMBINERS[alias] == "weighted"
        comb = combine_forecasts(
            good.loc[:, ["model", *FORECAST_COLUMNS]],
            weights if weighted else None,
            COMBINERS[alias],
            centre_on=centre_on if weighted else None,
        )
        parts.append(comb.assign(model=alias, error=None))
    return pd.concat(parts, ignore_index=True)
