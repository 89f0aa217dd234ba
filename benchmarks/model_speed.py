"""Speed and rough accuracy of every registered model on the public China trade releases.

Not a test. Usage::

    PYTHONPATH=. python benchmarks/model_speed.py [--start 2019-01] [--end 2025-12]
        [--models naive,arima,...] [--data-dir ../shared/data/public] [--reps 5] [--quick]

For each model and target (``exports_yoy``, ``imports_yoy``):

* ``fit+pred s``: mean seconds of ``fit(history).predict(1)`` over the rolling origins;
* ``full s``: median seconds of ``fit + predict(12)`` on the full history (~145 obs), 5 reps
  (NaN for a model that cannot forecast 12 months past it: the nowcast models need
  ``y_{t-12}`` and China's holiday schedule for every month forecast);
* ``MAE``: rolling one-step-ahead MAE. For each target period ``M`` from ``--start`` to ``--end``
  with a published value, the model is refitted on the history up to the month before ``M``
  (expanding window) and forecasts ``M`` (one target step; a combined Jan–Feb ``YYYY-02`` is
  forecast from December).

Ensembles are scored the way a backtest forms them: members' forecasts at each origin are
combined with :func:`models.ensemble.combine_forecasts` (``ensemble``: inverse-MAE weights from
the members' one-step errors on earlier targets, window 24; ``ensemble_median``: median). Their
``fit+pred s`` is measured separately by fitting the ensemble class itself on a few origins
(it refits its members, so it costs about the sum of the members).

History: ``china_trade_releases.csv`` (2016 on) plus ``china_trade_releases_extra.csv`` for the
periods before the main file starts (2014–2015); January from 2020 is NaN (combined Jan–Feb).

BLAS threading: the models run ``_fit``/``_predict`` with BLAS limited to one thread
(:func:`models.base.single_threaded_blas`); without that, a multi-threaded OpenBLAS spinning on
tiny matrices made ``ets`` ~0.20 s and ``arima`` ~0.14 s per fit on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from forecasting.calendar import target_periods  # noqa: E402
from forecasting.combination import rule_of, split_models  # noqa: E402
from models.ensemble import (  # noqa: E402
    combine_forecasts,
    inverse_mae_weights,
    is_combiner,  # noqa: E402
)
from models.errors import ModelError  # noqa: E402
from models.registry import MODEL_PATHS, create_model  # noqa: E402

DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "public"
TARGETS = ("exports_yoy", "imports_yoy")


def load_history(target: str, data_dir: Path = DATA_DIR) -> pd.Series:
    """The target's first-release y/y series on a contiguous monthly PeriodIndex."""
    main = pd.read_csv(data_dir / "china_trade_releases.csv", usecols=["period", target])
    extra = pd.read_csv(data_dir / "china_trade_releases_extra.csv", usecols=["period", target])
    main["period"] = pd.PeriodIndex(main["period"], freq="M")
    extra["period"] = pd.PeriodIndex(extra["period"], freq="M")
    extra = extra[extra["period"] < main["period"].min()]
    both = pd.concat([extra, main]).drop_duplicates("period", keep="last").set_index("period")
    series = both[target].astype(float).sort_index()
    full = pd.period_range(series.index.min(), series.index.max(), freq="M")
    series = series.reindex(full)
    series.name = target
    return series


def scored_periods(history: pd.Series, start: str, end: str) -> list[pd.Period]:
    """The target periods in ``[start, end]`` with a value in ``history``."""
    return [p for p in target_periods(start, end) if pd.notna(history.get(p))]


def history_before(history: pd.Series, period: pd.Period) -> pd.Series:
    h = history.loc[: period - 1]
    return h.loc[: h.last_valid_index()]


def rolling_one_step(
    alias: str, history: pd.Series, periods: list[pd.Period]
) -> tuple[pd.DataFrame, list[float], int]:
    """(forecast rows model/period/yhat/bounds/actual, fit+predict seconds, failures)."""
    rows: list[pd.DataFrame] = []
    seconds: list[float] = []
    failures = 0
    for period in periods:
        h = history_before(history, period)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = create_model(alias).fit(h).predict(1)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports failures, it does not stop
            failures += 1
            print(f"  {alias} failed at {period}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        seconds.append(time.perf_counter() - t0)
        if fc["period"].iloc[0] != str(period):
            raise AssertionError(f"{alias}: forecast {fc['period'].iloc[0]} for {period}")
        rows.append(fc.assign(model=alias, actual=float(history[period])))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(), seconds, failures


def combined_rows(members: pd.DataFrame, how: str, window: int = 24) -> pd.DataFrame:
    """Ensemble forecast per period from member rows, weights from earlier periods' errors."""
    members = members.assign(abs_error=(members["yhat"] - members["actual"]).abs())
    out: list[pd.DataFrame] = []
    for period, group in members.groupby("period", sort=True):
        past = members[members["period"] < period]
        weights = (
            inverse_mae_weights(past[["model", "period", "abs_error"]], window=window)
            if how == "weighted"
            else None
        )
        comb = combine_forecasts(group.drop(columns=["actual", "abs_error"]), weights, how)
        out.append(comb.assign(actual=group["actual"].iloc[0]))
    return pd.concat(out, ignore_index=True)


def _scores(rows: pd.DataFrame, target: str, failures: int) -> dict[str, float]:
    """MAE, 80% coverage, count and failures of one model's rows on ``target``."""
    inside = (rows["actual"] >= rows["yhat_lo_80"]) & (rows["actual"] <= rows["yhat_hi_80"])
    return {
        f"{target}_mae": float((rows["yhat"] - rows["actual"]).abs().mean()),
        f"{target}_cov80": float(inside.mean()),
        f"{target}_n": len(rows),
        f"{target}_fail": failures,
    }


def time_full(alias: str, history: pd.Series, reps: int = 5, horizon: int = 12) -> float:
    """Median seconds of ``fit(history).predict(horizon)``; NaN (the reason on stderr) for a
    model that cannot forecast that far (e.g. past China's published holiday schedule, or
    ``y_{t-12}`` beyond the history for the nowcast models)."""
    seconds = []
    for _ in range(reps):
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                create_model(alias).fit(history).predict(horizon)
        except ModelError as exc:
            print(f"  {alias}: no {horizon}-step forecast: {exc}", file=sys.stderr)
            return float("nan")
        seconds.append(time.perf_counter() - t0)
    return float(np.median(seconds))


def _slowest(before: float | None, now: float) -> float:
    """The larger of two timings, NaN only if neither was measured."""
    known = [v for v in (before, now) if v is not None and not np.isnan(v)]
    return max(known) if known else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2019-01")
    parser.add_argument("--end", default="2025-12")
    parser.add_argument("--models", default=",".join(MODEL_PATHS))
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--ensemble-timing-origins", type=int, default=5)
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the full-history fit")
    parser.add_argument(
        "--quick", action="store_true", help="two origins, naive/dynreg/ensemble, one rep"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.start, args.end, args.models = "2025-11", "2025-12", "naive,dynreg,ensemble"
        args.reps, args.ensemble_timing_origins = 1, 0

    aliases = [a.strip() for a in args.models.split(",") if a.strip()]
    fitted, combiners = split_models(aliases)  # fails fast on an unknown alias

    # warm-up: imports (prophet, statsmodels, cmdstanpy) are not part of a fit's cost
    warm = load_history(TARGETS[0], args.data_dir)
    for a in fitted:
        time_full(a, warm, reps=1, horizon=1)

    results: dict[str, dict[str, float]] = {a: {} for a in aliases}
    for target in TARGETS:
        history = load_history(target, args.data_dir)
        periods = scored_periods(history, args.start, args.end)
        member_rows: list[pd.DataFrame] = []
        for alias in fitted:
            rows, seconds, failures = rolling_one_step(alias, history, periods)
            member_rows.append(rows)
            res = results[alias]
            res.update(_scores(rows, target, failures))
            res.setdefault("seconds", []).extend(seconds)  # type: ignore[union-attr]
            res["full_s"] = _slowest(res.get("full_s"), time_full(alias, history, args.reps))
        if combiners:
            members = pd.concat(member_rows, ignore_index=True)
            for alias in combiners:
                rows = combined_rows(members, rule_of(alias).how)
                res = results[alias]
                res.update(_scores(rows, target, 0))
                # timing: the ensemble class itself, refitting its members
                seconds = res.setdefault("seconds", [])  # type: ignore[assignment]
                if args.ensemble_timing_origins < 1:
                    continue
                for period in periods[-args.ensemble_timing_origins :]:
                    t0 = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        create_model(alias).fit(history_before(history, period)).predict(1)
                    seconds.append(time.perf_counter() - t0)  # type: ignore[union-attr]
                full = time_full(alias, history, reps=min(2, args.reps))
                res["full_s"] = _slowest(res.get("full_s"), full)

    n_origins = len(scored_periods(warm, args.start, args.end))
    print(
        f"\nrolling one-step-ahead, targets {args.start}..{args.end} "
        f"({n_origins} origins per target, expanding window)\n"
    )
    header = (
        f"{'model':<16}{'fit+pred s':>11}{'full s':>8}"
        f"{'exports MAE':>13}{'cov80':>7}{'imports MAE':>13}{'cov80':>7}{'fails':>7}"
    )
    print(header)
    print("-" * len(header))
    total = 0.0
    for alias in aliases:
        r = results[alias]
        secs = float(np.mean(r["seconds"])) if r.get("seconds") else float("nan")
        if not is_combiner(alias):
            total += secs
        fails = int(r.get("exports_yoy_fail", 0) + r.get("imports_yoy_fail", 0))
        print(
            f"{alias:<16}{secs:>11.3f}{r.get('full_s', float('nan')):>8.3f}"
            f"{r['exports_yoy_mae']:>13.2f}{r['exports_yoy_cov80']:>7.2f}"
            f"{r['imports_yoy_mae']:>13.2f}{r['imports_yoy_cov80']:>7.2f}{fails:>7d}"
        )
    print("-" * len(header))
    print(f"{'sum (fitted)':<16}{total:>11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
