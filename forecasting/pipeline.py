"""The library API behind the commands: backtest, forecast, score, compare and the main job.

Each function takes the opened :class:`~forecasting.service.Service` and time as arguments
(``as_of`` / ``today``); the CLI and the scheduler are thin layers over these.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.backtest import (
    BACKTEST_COLUMNS,
    COMBINERS,
    combiner_rows,
    data_fingerprint,
    forecast_path,
    run_backtest,
    split_models,
)
from forecasting.calendar import Release, covered_months, target_periods
from forecasting.compare import scoreboard, surprise_probability
from forecasting.errors import DataError, NotReleasedError, TrackingError
from forecasting.metrics import accuracy_table, trailing_mae
from forecasting.observations import (
    first_release_actuals,
    first_release_dates,
    information_set,
    target_history,
)
from forecasting.service import Service
from models.base import FORECAST_COLUMNS
from models.ensemble import inverse_mae_weights, jan_feb_centre

__all__ = [
    "BacktestResult",
    "ForecastResult",
    "backtest",
    "compare",
    "forecast_release",
    "main_job",
    "score_period",
]

Progress = Callable[[int, int], None]
CHAMPION_WINDOW = 36


@dataclass
class BacktestResult:
    target: str
    frame: pd.DataFrame
    metrics: pd.DataFrame
    fingerprint: str
    champion: str | None
    run_id: str | None = None
    seconds: float = 0.0
    logging_seconds: float = 0.0
    tracking_error: str | None = None


def _aliases(service: Service, models: Sequence[str] | None) -> list[str]:
    aliases = list(models) if models else list(service.settings.models.default)
    split_models(aliases)
    return aliases


def _check_target(target: str) -> None:
    from forecasting.config import TARGETS

    if target not in TARGETS:
        raise DataError(f"unknown target {target!r}; known targets: {', '.join(TARGETS)}")


def backtest(
    service: Service,
    target: str,
    start: str,
    end: str,
    *,
    models: Sequence[str] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
    log: bool = True,
    register: bool = True,
    parent_run_id: str | None = None,
    warmup: int | None = None,
) -> BacktestResult:
    """Pseudo-real-time backtest of ``target`` over ``[start, end]``, stored, logged to MLflow
    (parent + child runs) and, with ``register``, the final models registered with the
    champion alias on the best trailing-36-month MAE. ``warmup``: months of origins run
    before ``start`` for the ensembles' weights only (:func:`run_backtest`; default its
    combination window)."""
    _check_target(target)
    aliases = _aliases(service, models)
    obs = service.observations.frame()
    t0 = time.perf_counter()
    frame = run_backtest(
        obs,
        target,
        start,
        end,
        aliases,
        jobs=jobs or service.settings.backtest.jobs,
        dask_scheduler=service.settings.backtest.dask_scheduler,
        progress=progress,
        warmup=warmup,
    )
    fingerprint = data_fingerprint(obs)
    service.backtests.save(fingerprint, frame)
    metrics = accuracy_table(frame)
    recent = trailing_mae(frame, CHAMPION_WINDOW)
    champion = str(recent.idxmin()) if not recent.empty else None
    result = BacktestResult(
        target, frame, metrics, fingerprint, champion, seconds=time.perf_counter() - t0
    )
    if log:
        t1 = time.perf_counter()
        try:
            _log_and_register(
                service,
                result,
                aliases,
                start,
                end,
                parent_run_id,
                register=register and champion is not None,
                obs=obs,
            )
        except TrackingError as exc:
            result.tracking_error = str(exc)
        result.logging_seconds = time.perf_counter() - t1
    return result


def _log_and_register(
    service: Service,
    result: BacktestResult,
    aliases: list[str],
    start: str,
    end: str,
    parent_run_id: str | None,
    *,
    register: bool,
    obs: pd.DataFrame | None = None,
    as_of: date | None = None,
) -> None:
    """Log ``result`` to MLflow (nested under ``parent_run_id``, against the best consensus)
    and, with ``register``, register its final models ranked by trailing MAE, fitted on what
    was public before ``as_of`` (default: everything stored up to today). ``obs`` defaults to
    the stored observations."""
    consensus = service.consensus.best(result.target).set_index("period")["consensus"]
    result.run_id = _log_backtest(service, result, aliases, start, end, consensus, parent_run_id)
    if register:
        recent = trailing_mae(result.frame, CHAMPION_WINDOW)
        if obs is None:
            obs = service.observations.frame()
        as_of = as_of or date.today() + timedelta(days=1)
        _register_final_models(service, result, recent, obs, parent_run_id, as_of)


def _log_backtest(
    service: Service,
    result: BacktestResult,
    aliases: list[str],
    start: str,
    end: str,
    consensus: pd.Series,
    parent_run_id: str | None,
) -> str:
    from forecasting.tracking import git_commit, log_backtest

    f = result.frame
    return log_backtest(
        service.settings,
        result.target,
        f,
        result.metrics,
        params={
            "target": result.target,
            "start": start,
            "end": end,
            "models": aliases,
            "data_fingerprint": result.fingerprint,
            "origins": f["period"].nunique(),
            "champion": result.champion or "",
        },
        tags={
            "git_commit": git_commit(service.settings.root),
            "as_of_first": str(f["as_of"].min()),
            "as_of_last": str(f["as_of"].max()),
            "data_fingerprint": result.fingerprint,
        },
        consensus=consensus,
        parent_run_id=parent_run_id,
    )


def final_forecasters(
    obs: pd.DataFrame, target: str, aliases: Sequence[str], frame: pd.DataFrame, as_of: date
) -> dict[str, object]:
    """Each model fitted on everything known as of ``as_of`` (ensembles weighted by the
    backtest errors known then). Models that fail are left out."""
    from models.registry import model_class

    info = information_set(obs, as_of)
    history = target_history(info, target)
    fitted, combiners = split_models(aliases)
    out: dict[str, object] = {}
    for alias in fitted:
        cls = model_class(alias)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = cls()
                exog = None
                if cls.supports_exog:
                    from forecasting.indicators import indicator_exog

                    nxt = history.index[-1] + 1
                    exog = indicator_exog(info, list(getattr(model, "indicators", ())), nxt)
                out[alias] = (model.fit(history, exog), exog)
        except Exception:  # noqa: BLE001 - a failing final fit leaves that model out
            continue
    if not combiners:
        return out
    weights = inverse_mae_weights(_known_errors(frame, obs, target, as_of))
    members = [a for a in fitted if a in out and not model_class(a).supports_exog]
    for alias in combiners:
        cls = model_class(alias)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = cls(
                    members=members, weights=weights if COMBINERS[alias] == "weighted" else None
                )
                out[alias] = (model.fit(history), None)
        except Exception:  # noqa: BLE001
            continue
    return out


def _known_errors(frame: pd.DataFrame, obs: pd.DataFrame, target: str, as_of: date) -> pd.DataFrame:
    from forecasting.backtest import known_errors

    return known_errors(frame, first_release_dates(obs, target), as_of)


def _register_final_models(
    service: Service,
    result: BacktestResult,
    recent: pd.Series,
    obs: pd.DataFrame,
    parent_run_id: str | None,
    as_of: date,
) -> None:
    """Fit every model on what was public before ``as_of`` and register it; the registry key
    is the fingerprint of those rows (the whole store's when nothing is dated later)."""
    from forecasting.tracking import register_final_models

    known = obs[obs["released"] < as_of]
    fingerprint = data_fingerprint(known)
    finals = final_forecasters(
        known, result.target, list(result.metrics.index), result.frame, as_of
    )
    ranked = [m for m in recent.sort_values().index if m in finals]
    if not ranked:
        return
    result.champion = ranked[0]
    register_final_models(
        service.settings,
        result.target,
        {alias: finals[alias] for alias in ranked},
        trailing_mae={alias: float(recent[alias]) for alias in ranked},
        champion=result.champion,
        data_fingerprint=fingerprint,
        parent_run_id=parent_run_id,
    )


def write_backtest_csv(frame: pd.DataFrame, path: Path) -> Path | None:
    """The CSV with exactly ``BACKTEST_COLUMNS``; failures go to ``<stem>.failures.csv``
    beside it (returned), so an empty ``yhat`` always has its reason on record."""
    frame.loc[:, list(BACKTEST_COLUMNS)].to_csv(path, index=False)
    failed = frame[frame["yhat"].isna()]
    if failed.empty:
        return None
    fpath = path.with_name(path.stem + ".failures.csv")
    failed.loc[:, ["target", "period", "model", "as_of", "error"]].to_csv(fpath, index=False)
    return fpath


# -- forecast ------------------------------------------------------------------------------------
@dataclass
class ForecastResult:
    target: str
    period: str
    covers: str
    as_of: date
    release: Release
    rows: pd.DataFrame  # one row per model for `period`
    path: pd.DataFrame  # the ensemble's path to `period` (fan chart)
    history: pd.Series
    consensus: float | None
    missing_periods: list[str]
    actual: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    #: the member the weighted ensemble is centred on (the Jan-Feb rule), else None
    centred_on: str | None = None
    indicators: pd.DataFrame | None = None
    news: pd.DataFrame | None = None
    fingerprint: str = ""

    @property
    def ensemble(self) -> pd.Series | None:
        for name in COMBINERS:  # the weighted one first
            r = self.rows[(self.rows["model"] == name) & self.rows["yhat"].notna()]
            if not r.empty:
                return r.iloc[0]
        ok = self.rows[self.rows["yhat"].notna()]
        return None if ok.empty else ok.iloc[0]

    def as_dict(self) -> dict:
        ens = self.ensemble
        rows = self.rows.replace({np.nan: None}).to_dict("records")
        return {
            "target": self.target,
            "period": self.period,
            "covers": self.covers,
            "as_of": self.as_of.isoformat(),
            "release_date": self.release.date.isoformat(),
            "release_date_basis": self.release.basis,
            "consensus": self.consensus,
            "ensemble": None
            if ens is None
            else {
                k: (None if pd.isna(ens[k]) else float(ens[k]))
                for k in (
                    "yhat",
                    "yhat_lo_80",
                    "yhat_hi_80",
                    "yhat_lo_95",
                    "yhat_hi_95",
                    "model_minus_consensus",
                    "p_beat",
                )
            }
            | {"model": ens["model"]},
            "models": rows,
            "missing_periods": self.missing_periods,
            "actual": self.actual,
            "ensemble_weights": self.weights,
            "ensemble_centred_on": self.centred_on,
            "indicators": None
            if self.indicators is None
            else self.indicators.astype({"released": str}).to_dict("records"),
            "news": None if self.news is None else self.news.to_dict("records"),
            "data_fingerprint": self.fingerprint,
        }


def forecast_release(
    service: Service,
    target: str,
    *,
    period: str | None = None,
    as_of: date | None = None,
    today: date | None = None,
    models: Sequence[str] | None = None,
) -> ForecastResult:
    """Forecast one release with the information released before ``as_of``.

    By default ``today`` is the clock's date and ``as_of`` the day after it (everything
    released up to today is known); with only ``as_of`` given, ``today`` is ``as_of``. The
    release forecast by default is the next one due on or after ``today``.

    Raises:
        DataError: the period is not a target period or is already released as of ``as_of``
            (the message states the actual).
    """
    _check_target(target)
    aliases = _aliases(service, models)
    today = today or as_of or date.today()
    as_of_date = as_of or today + timedelta(days=1)
    obs = service.observations.frame()
    cal = service.calendar()
    info = information_set(obs, as_of_date)
    history = target_history(info, target)
    if history.dropna().empty:
        raise DataError(f"no {target} figures released before {as_of_date}")
    last = history.dropna().index[-1]
    if period is None:
        release = cal.next_due(today, after=last)
    else:
        p = pd.Period(period, freq="M")
        from models.periods import not_a_target_period

        reason = not_a_target_period(p)
        if reason:
            raise DataError(reason)
        release = cal.release(p)
    target_p = release.period
    known = info[(info["series"] == target) & (info["period"] == str(target_p))]
    if not known.empty:
        row = known.iloc[0]
        raise DataError(
            f"{target} {target_p} was already released on {row['released']}: "
            f"actual {row['value']:+.1f} (use --as-of before that date to see the "
            f"forecast made then)"
        )
    missing = [str(r.period) for r in cal.released_between(last, today) if r.period < target_p]
    fitted, combiners = split_models(aliases)
    fingerprint = data_fingerprint(obs)
    rows_all, exog = forecast_path(obs, target, str(target_p), as_of_date, fitted)
    stored = service.backtests.load(fingerprint, target) if combiners else None
    frame, weights, centre = _attach_combiners(rows_all, combiners, stored, obs, target, as_of_date)
    consensus = service.consensus.value(target, str(target_p), as_of_date)
    rows = frame[frame["period"] == str(target_p)].copy()
    failed = frame[frame["yhat"].isna()]
    rows = pd.concat([rows, failed[~failed["model"].isin(rows["model"])]], ignore_index=True)
    rows["model_minus_consensus"] = rows["yhat"] - consensus if consensus is not None else np.nan
    rows["p_beat"] = (
        surprise_probability(rows["yhat"], rows["yhat_lo_80"], rows["yhat_hi_80"], consensus)
        if consensus is not None
        else np.nan
    )
    order = {a: i for i, a in enumerate(aliases)}
    rows = rows.assign(_o=rows["model"].map(order)).sort_values("_o").drop(columns="_o")
    result = ForecastResult(
        target=target,
        period=str(target_p),
        covers=covered_months(target_p),
        as_of=as_of_date,
        release=release,
        rows=rows.reset_index(drop=True),
        path=pd.DataFrame(),
        history=history,
        consensus=consensus,
        missing_periods=missing,
        fingerprint=fingerprint,
        weights=weights,
        centred_on=centre.get(str(target_p)),
    )
    ens = result.ensemble
    if ens is not None:
        result.path = frame[frame["model"] == ens["model"]].loc[:, list(FORECAST_COLUMNS)]
    if exog is not None:
        from forecasting.indicators import indicators_used

        result.indicators = indicators_used(info, list(exog.columns), str(target_p))
    result.news = _news(service, obs, info, history, target, str(target_p), as_of_date, fitted)
    return result


def _attach_combiners(
    rows: pd.DataFrame,
    combiners: list[str],
    stored: pd.DataFrame | None,
    obs: pd.DataFrame,
    target: str,
    as_of: date,
) -> tuple[pd.DataFrame, dict[str, float], dict[str, str]]:
    """Ensemble rows for every step, weighted by the ``stored`` backtest's errors known at
    ``as_of``, the first step under the Jan–Feb rule (:func:`jan_feb_centre`). Returns the
    rows with the combiners' added, the weights used and the rule's ``centre_on``."""
    if not combiners or stored is None:
        return rows, {}, {}
    weights = inverse_mae_weights(_known_errors(stored, obs, target, as_of))
    centre = jan_feb_centre(rows, rows["period"].min())
    parts = [rows, combiner_rows(rows, combiners, weights, rows["period"].max(), centre)]
    rounded = {k: round(float(v), 4) for k, v in weights.items()}
    return pd.concat(parts, ignore_index=True), rounded, centre


def _news(
    service: Service,
    obs: pd.DataFrame,
    info: pd.DataFrame,
    history: pd.Series,
    target: str,
    period: str,
    as_of: date,
    fitted: list[str],
) -> pd.DataFrame | None:
    """The factor model's news decomposition: which indicator releases moved its nowcast of
    ``period`` since the previous nowcast (the ledger's latest earlier ``dfm`` forecast of this
    period, else the information set right after the last customs print). ``info`` and
    ``history`` are the information set as of ``as_of`` and ``target``'s history in it."""
    if "dfm" not in fitted:
        return None
    from forecasting.backtest import exog_indicators
    from forecasting.indicators import indicator_exog
    from models.registry import create_model

    target_p = pd.Period(period, freq="M")
    history = history[history.index < target_p]
    history = history.loc[: history.last_valid_index()]
    ledger = service.ledger.frame(target=target, period=period)
    earlier = ledger[(ledger["model"] == "dfm") & (ledger["as_of"] < as_of)]
    if not earlier.empty:
        previous = max(earlier["as_of"])
    else:
        previous = first_release_dates(obs, target)[str(history.index[-1])] + timedelta(days=1)
    if previous >= as_of:
        return None
    names = exog_indicators(["dfm"])
    prev_info = information_set(obs, previous)
    prev_hist = target_history(prev_info, target).reindex(history.index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = create_model("dfm").fit(history, indicator_exog(info, names, target_p))
            news = model.news(indicator_exog(prev_info, names, target_p), prev_hist, target_p)
    except Exception:  # noqa: BLE001 - the decomposition informs; it never fails a forecast
        return None
    return news.assign(since=previous.isoformat())


# -- score ---------------------------------------------------------------------------------------
def score_period(
    service: Service, period: str, *, targets: Sequence[str] | None = None, log: bool = True
) -> pd.DataFrame:
    """The ledger's forecasts for ``period`` against the first-release actual and the
    consensus known at each forecast's time.

    Raises:
        NotReleasedError: the actual is not in the store (nothing is written).
    """
    targets = list(targets or service.settings.targets.names)
    obs = service.observations.frame()
    out = []
    for target in targets:
        actuals = first_release_actuals(obs, target)
        if period not in actuals.index:
            raise NotReleasedError(
                f"{target} {period} is not in the store yet: add the release first "
                f"(forecasting data add --period {period} ... --released DATE); nothing written"
            )
        actual = float(actuals[period])
        ledger = service.ledger.frame(target=target, period=period)
        ledger = ledger[ledger["yhat"].notna()]
        if ledger.empty:
            continue
        g = ledger.copy()
        g["consensus"] = pd.to_numeric(g["consensus"]).astype(float)  # None when no poll
        g["actual"] = actual
        g["abs_error"] = (g["yhat"] - actual).abs()
        g["consensus_abs_error"] = (g["consensus"] - actual).abs()
        has = g["consensus"].notna()
        closer = pd.Series(pd.NA, index=g.index, dtype="boolean")
        closer[has] = g.loc[has, "abs_error"] < g.loc[has, "consensus_abs_error"]
        g["closer_than_consensus"] = closer
        out.append(g)
    if not out:
        raise DataError(f"the ledger holds no forecast for {period}: nothing to score")
    scored = pd.concat(out, ignore_index=True)
    if log:
        from forecasting.tracking import log_job_run

        # the score is recomputable from the ledger; MLflow is a mirror
        for target, g in scored.groupby("target"):
            with contextlib.suppress(TrackingError):
                log_job_run(
                    service.settings,
                    target,
                    run_name=f"score {target} {period}",
                    params={"period": period, "actual": float(g["actual"].iloc[0])},
                    metrics={
                        f"abs_error_{m}": float(e)
                        for m, e in g.groupby("model")["abs_error"].last().items()
                    },
                    tags={"kind": "score", "target": target, "period": period},
                    artifacts={},
                    tables={f"score_{target}_{period}.csv": g},
                )
    return scored


# -- compare -------------------------------------------------------------------------------------
def compare(
    service: Service,
    target: str,
    *,
    start: str | None = None,
    end: str | None = None,
    models: Sequence[str] | None = None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scoreboard of each model and the ensemble against the consensus over the periods with
    a consensus and an actual. Uses the stored backtest of the same data fingerprint for
    those periods, running (and storing) it where rows are missing.

    Returns:
        (scoreboard, the backtest rows used).
    """
    _check_target(target)
    aliases = _aliases(service, models)
    cons = service.consensus.best(target)
    if cons.empty:
        raise DataError(f"no consensus stored for {target}: forecasting consensus import F.csv")
    obs = service.observations.frame()
    actual = first_release_actuals(obs, target)
    periods = [
        p
        for p in cons["period"]
        if p in actual.index and (start is None or p >= start) and (end is None or p <= end)
    ]
    if not periods:
        raise DataError(
            f"no period in {start or '…'}..{end or '…'} has both a {target} consensus and an actual"
        )
    lo, hi = min(periods), max(periods)
    fingerprint = data_fingerprint(obs)
    stored = service.backtests.load(fingerprint, target)
    have = stored[stored["period"].isin(periods) & stored["model"].isin(aliases)]
    complete = all(set(aliases) <= set(have.loc[have["period"] == p, "model"]) for p in periods)
    if complete:
        frame = have
    else:
        result = backtest(
            service,
            target,
            lo,
            hi,
            models=aliases,
            jobs=jobs,
            progress=progress,
            log=True,
            register=False,
        )
        frame = result.frame[result.frame["period"].isin(periods)]
    board = scoreboard(frame, cons.set_index("period")["consensus"])
    return board, frame


# -- the main job --------------------------------------------------------------------------------
@dataclass
class JobSummary:
    target: str
    forecast: ForecastResult
    backtest: BacktestResult
    run_id: str | None
    fan_chart: Path | None
    ledger_rows: int
    tracking_error: str | None = None


def main_job(
    service: Service,
    *,
    today: date | None = None,
    targets: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    period: str | None = None,
    origin: str = "run",
    job_id: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[JobSummary]:
    """Backtest the recent window, refit, forecast the next release (or ``period``) of each
    target, compare with the consensus, append to the ledger first and then log it all to
    MLflow. A failure to log leaves ``tracking_error`` set and the ledger rows without a run
    id, for :func:`catch_up_tracking`."""
    import uuid

    today = today or date.today()
    job_id = job_id or f"{origin}-{today.isoformat()}-{uuid.uuid4().hex[:8]}"
    window = service.settings.backtest.recent_window
    summaries = []
    for target in targets or service.settings.targets.names:
        released = service.observations.release_dates(target)
        end = max(p for p, d in released.items() if d <= today)
        periods = target_periods("2000-01", end)[-window:]
        cb = (lambda d, n, t=target: progress(t, d, n)) if progress else None
        bt = backtest(
            service,
            target,
            str(periods[0]),
            end,
            models=models,
            progress=cb,
            log=False,
            register=False,
        )
        fc = forecast_release(service, target, today=today, period=period, models=models)
        rows = ledger_rows(fc)
        n = service.ledger.append(rows, job_id=f"{job_id}:{target}", origin=origin)
        summary = JobSummary(target, fc, bt, None, None, n)
        summary.run_id, summary.fan_chart, summary.tracking_error = log_forecast_job(
            service, summary, job_id=f"{job_id}:{target}"
        )
        summaries.append(summary)
    return summaries


def ledger_rows(fc: ForecastResult) -> pd.DataFrame:
    """A forecast's rows as the ledger keeps them (target, period, as_of and consensus set)."""
    r = fc.rows.copy()
    r["target"], r["as_of"], r["consensus"] = fc.target, fc.as_of, fc.consensus
    r["period"] = fc.period
    return r


def forecast_job_tags(
    job_id: str, target: str, period: str, as_of: str, consensus: float | None
) -> dict[str, str]:
    """The MLflow tags of a forecast job's run (also for runs caught up later)."""
    return {
        "kind": "forecast-job",
        "job_id": job_id,
        "target": target,
        "target_period": period,
        "as_of": as_of,
        "consensus": "" if pd.isna(consensus) else f"{consensus:g}",
    }


def log_forecast_job(
    service: Service, summary: JobSummary, *, job_id: str
) -> tuple[str | None, Path | None, str | None]:
    """Log a job to MLflow: a parent run (tags: target period, as_of, consensus) holding the
    backtest (nested), the final models with the champion, and the fan chart. The ledger
    already holds the forecast; on failure the error is returned for a later catch-up."""
    from forecasting.plots import fan_chart_png
    from forecasting.tracking import log_job_run

    fc, bt = summary.forecast, summary.backtest
    ens = fc.ensemble
    # the latest chart per target and period; every run's own copy is its MLflow artifact
    chart_dir = service.settings.service.state_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    chart = chart_dir / f"fan_{fc.target}_{fc.period}.png"
    fan_chart_png(
        fc.history,
        fc.path,
        f"{fc.target} {fc.covers}: forecast as of {fc.as_of}",
        chart,
        consensus=fc.consensus,
        actual=fc.actual,
    )
    try:
        run_id = log_job_run(
            service.settings,
            fc.target,
            run_name=f"forecast {fc.target} {fc.period}",
            params={
                "target": fc.target,
                "period": fc.period,
                "as_of": fc.as_of.isoformat(),
                "models": list(fc.rows["model"]),
                "data_fingerprint": fc.fingerprint,
                "ensemble_weights": fc.weights,
                **({"ensemble_centred_on": fc.centred_on} if fc.centred_on else {}),
            },
            metrics={
                "yhat": float(ens["yhat"]),
                "yhat_lo_80": float(ens["yhat_lo_80"]),
                "yhat_hi_80": float(ens["yhat_hi_80"]),
                **(
                    {
                        "consensus": fc.consensus,
                        "model_minus_consensus": float(ens["yhat"]) - fc.consensus,
                        "p_beat": float(ens["p_beat"]),
                    }
                    if fc.consensus is not None
                    else {}
                ),
            }
            if ens is not None
            else {},
            tags=forecast_job_tags(
                job_id, fc.target, fc.period, fc.as_of.isoformat(), fc.consensus
            ),
            artifacts={"": chart},
            tables={
                "forecast.csv": fc.rows,
                **({"indicators.csv": fc.indicators} if fc.indicators is not None else {}),
                **({"news.csv": fc.news} if fc.news is not None else {}),
            },
        )
        # the job's backtest ran with log=False: it is logged here, under the job's run
        _log_and_register(
            service,
            bt,
            list(bt.metrics.index),
            bt.frame["period"].min(),
            bt.frame["period"].max(),
            run_id,
            register=True,
            as_of=fc.as_of,  # the job's own date: a job run for a past day never looks ahead
        )
        service.ledger.attach_run(job_id, run_id)
        return run_id, chart, None
    except TrackingError as exc:
        return None, chart, str(exc)
