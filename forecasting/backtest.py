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
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from datetime import timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

from forecasting.calibration import DEFAULT_SETTINGS, CalibrationSettings
from forecasting.calibration_frame import calibrate_frame, consensus_weights_at
from forecasting.combination import combine_at_origins, rule_of, split_models
from forecasting.compare import surprise_probability
from forecasting.errors import DataError, ModelError
from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.origin import Origin, member_forecasts
from forecasting.origin_cache import OriginRows, origin_keys
from forecasting.worker_pool import worker_observations, workers_for
from models.base import FORECAST_COLUMNS
from models.periods import target_periods

__all__ = [
    "BACKTEST_COLUMNS",
    "BACKTEST_EXTRA",
    "calibrated",
    "backtest_origins",
    "data_fingerprint",
    "run_backtest",
]

BACKTEST_COLUMNS = ("target", "period", "model", "as_of", *FORECAST_COLUMNS[1:], "actual")
#: what a backtest frame holds besides the CSV's columns
BACKTEST_EXTRA = ("error", "uses_indicators", "calibrated", "n_errors", "p_beat", "reported")


def calibrated(
    frame: pd.DataFrame,
    released: pd.Series,
    settings: CalibrationSettings,
    consensus: pd.Series | None = None,
) -> pd.DataFrame:
    """``frame``'s rows with intervals calibrated on each model's errors known at each row's
    origin, and ``p_beat`` where ``consensus`` has a poll (centred by each model's
    consensus weight from the polls known then; a row without enough known errors: the
    Gaussian of its own 80% band)."""
    if consensus is None or consensus.empty:
        return calibrate_frame(frame, released, settings)
    polled = frame.assign(consensus=frame["period"].map(consensus))
    weights = consensus_weights_at(polled, released)
    out = calibrate_frame(frame, released, settings, consensus=consensus, consensus_weights=weights)
    gauss = surprise_probability(
        out["yhat"], out["yhat_lo_80"], out["yhat_hi_80"], polled["consensus"]
    )
    own = out["p_beat"].fillna(pd.Series(gauss, index=out.index))
    out["p_beat"] = own.where(polled["consensus"].notna() & out["yhat"].notna())
    return out


def data_fingerprint(observations: pd.DataFrame) -> str:
    """A short hash of the stored rows (all vintages): equal data, equal fingerprint."""
    f = observations.sort_values(["series", "period", "released"])
    text = f.loc[:, ["series", "period", "value", "released"]].to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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


# -- parallel driver ---------------------------------------------------------------------------
_T = TypeVar("_T")


def _origin_task(
    origin: Origin, aliases: Sequence[str], observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The member rows at one origin, from ``observations`` (default: the worker's copy)."""
    obs = worker_observations() if observations is None else observations
    rows = member_forecasts(obs, origin.target, origin.period, origin.as_of, aliases).rows
    out = rows[rows["period"] == origin.period].reset_index(drop=True)
    out["target"], out["as_of"] = origin.target, origin.as_of
    return out


def _latest_first(origins: Sequence[Origin]) -> list[tuple[int, Origin]]:
    """``(position, origin)`` pairs, the latest origin first."""
    return sorted(enumerate(origins), key=lambda item: item[1].as_of, reverse=True)


def _in_origin_order(
    futures: dict, done: Iterable, progress: Callable[[int, int], None] | None
) -> list[pd.DataFrame]:
    """The parts of ``futures`` (future -> origin position) collected as ``done`` yields
    them, returned in origin order."""
    indexed = _collect(((futures[f], f.result()) for f in done), len(futures), progress)
    return [part for _, part in sorted(indexed, key=lambda item: item[0])]


def _collect(
    results: Iterable[_T], total: int, progress: Callable[[int, int], None] | None
) -> list[_T]:
    """The origin results as they complete, reporting ``progress(done, total)`` after each."""
    parts: list[_T] = []
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
    while_fitting: Callable[[], object] | None = None,
    warmup: int | None = None,
    extra_rows: pd.DataFrame | None = None,
    consensus: pd.Series | None = None,
    calibration: CalibrationSettings | None = DEFAULT_SETTINGS,
    keep_warmup: bool = False,
    origin_rows: OriginRows | None = None,
) -> pd.DataFrame:
    """Run the backtest; see the module docstring.

    ``extra_rows``: member rows computed elsewhere (a cross-target member such as the balance
    identity: ``period, as_of, model, yhat``, bounds); those at this backtest's origins join
    the fitted members' rows before the combination.

    ``calibration``: every row's intervals are then calibrated on its model's errors known at
    its origin (:func:`forecasting.calibration_frame.calibrate_frame`; None = the models' own
    bands), and with ``consensus`` (period -> poll) each row gets ``p_beat`` from its
    calibrated distribution. ``keep_warmup``: return the warm-up origins' rows too (column
    ``reported`` False), e.g. to keep them as the errors later forecasts calibrate on.

    ``while_fitting``: called once every worker process is started (with ``jobs`` > 1 only),
    while the main process waits for them: e.g. :func:`forecasting.tracking.preload`.

    ``origin_rows``: the store of origin parts (:mod:`forecasting.origin_cache`): an origin
    whose key (code, origin, models, the figures released before it) is stored is not refitted;
    the origins fitted here are stored. The rows are the same either way.

    ``warmup``: with an ensemble among ``aliases``, the fitted models are also run at this
    many months of origins before ``start`` (default: the longest combination window) so that
    the ensemble's first reported origins are weighted by a track record, as a live ensemble
    would be; those rows are not returned. Months before the target's first release are skipped.

    Returns:
        the forecast frame plus ``actual``, ``error`` and ``uses_indicators`` (the
        ``BACKTEST_COLUMNS`` + those two; the flag is NaN for ensembles), one row per period and
        model, sorted by period then model order.
    """
    fitted, combiners = split_models(aliases)
    if combiners and not fitted:
        raise ModelError("an ensemble needs at least one fitted model beside it")
    if warmup is None:
        warmup = max((rule_of(a).window for a in combiners), default=0)
    if warmup < 0:
        raise DataError(f"warmup must be >= 0 months, got {warmup}")
    origins = backtest_origins(observations, target, start, end)
    if warmup:
        before = pd.Period(start, freq="M") - 1
        with contextlib.suppress(DataError):  # nothing released that early: no warm-up
            first = str(before - warmup + 1)
            origins = backtest_origins(observations, target, first, str(before)) + origins
    keys = origin_keys(observations, origins, fitted) if origin_rows is not None else []
    known = origin_rows.get(keys) if origin_rows is not None else {}
    parts = [known.get(k) for k in keys] if keys else [None] * len(origins)
    todo = [i for i, part in enumerate(parts) if part is None]
    fitting = [origins[i] for i in todo]
    parts_fitted = _fit_origins(
        observations, fitting, fitted, jobs, dask_scheduler, progress, while_fitting
    )
    for i, part in zip(todo, parts_fitted, strict=True):
        parts[i] = part
    if origin_rows is not None:
        origin_rows.put({keys[i]: parts[i] for i in todo})
    if extra_rows is not None and not extra_rows.empty:
        run_at = {(o.period, o.as_of) for o in origins}
        at = [
            (str(p), a) in run_at
            for p, a in zip(extra_rows["period"], extra_rows["as_of"], strict=True)
        ]
        parts.append(extra_rows[at].assign(target=target))
    frame = pd.concat(parts, ignore_index=True)
    actual = first_release_actuals(observations, target)
    if combiners:
        combined = combine_at_origins(frame, combiners, observations, target, actual=actual)
        frame = pd.concat([frame, combined], ignore_index=True)
    frame["actual"] = frame["period"].map(actual)
    if calibration is not None:
        frame = calibrated(frame, first_release_dates(observations, target), calibration, consensus)
    frame["reported"] = frame["period"] >= str(pd.Period(start, freq="M"))
    if not keep_warmup:
        frame = frame[frame["reported"]]
    order = {a: i for i, a in enumerate(aliases)}
    frame = frame.assign(_o=frame["model"].map(order)).sort_values(["period", "_o"])
    cols = [*BACKTEST_COLUMNS, *BACKTEST_EXTRA]
    for c in cols:
        if c not in frame:
            frame[c] = np.nan
    out = frame.loc[:, cols].reset_index(drop=True)
    out.attrs["origins_reused"] = len(origins) - len(todo)  # taken from ``origin_rows``
    out.attrs["origins_fitted"] = len(todo)
    return out


def _fit_origins(
    observations: pd.DataFrame,
    origins: list[Origin],
    fitted: list[str],
    jobs: int,
    dask_scheduler: str,
    progress: Callable[[int, int], None] | None,
    while_fitting: Callable[[], object] | None,
) -> list[pd.DataFrame]:
    """The member rows at each of ``origins``, in their order: on the Dask scheduler, in
    this process, or in ``jobs`` worker processes."""
    if not origins:
        return []
    if dask_scheduler:
        return _run_dask(observations, origins, fitted, dask_scheduler, progress, jobs)
    if jobs <= 1 or len(origins) == 1:
        tasks = (_origin_task(o, fitted, observations) for o in origins)
        return _collect(tasks, len(origins), progress)
    with workers_for(observations, jobs) as pool:
        # the latest (longest, slowest) origins first, so that no worker is left with a long
        # one at the end; the parts are put back in origin order (results do not depend on
        # which worker finished first)
        futures = {pool.submit(_origin_task, o, fitted): i for i, o in _latest_first(origins)}
        if while_fitting is not None:  # the workers are all started
            while_fitting()
        return _in_origin_order(futures, as_completed(futures), progress)


def _run_dask(
    observations: pd.DataFrame,
    origins: list[Origin],
    fitted: list[str],
    address: str,
    progress: Callable[[int, int], None] | None,
    jobs: int = 1,
) -> list[pd.DataFrame]:
    """The origins as tasks on the Dask scheduler at ``address``, or with ``"local"`` on this
    process's local cluster of ``jobs`` workers (:mod:`forecasting.dask_local`: started by the
    first backtest, reused by the next)."""
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    from forecasting.dask_local import local_client

    client = local_client(jobs) if address == "local" else Client(address)
    try:
        # under a key of its own (hash=False): a key hashed from the data is the previous
        # backtest's too, and its release, still in flight, then lost this scatter's copies
        # ("lost dependencies": the origins cancelled)
        obs_future = client.scatter(observations, broadcast=True, hash=False)
        futures = {
            client.submit(_origin_task, o, fitted, obs_future, pure=False): i
            for i, o in _latest_first(origins)
        }
        done = dask_completed(list(futures))
        return _in_origin_order(futures, done, progress)
    finally:
        if address != "local":  # the local cluster's client stays open with its cluster
            client.close()
