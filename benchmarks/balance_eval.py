"""The trade balance as a target: balance models, the identity, and the year's surplus.

    python benchmarks/balance_eval.py [--sample eval|presample] [--jobs 1]
                                      [--yoy-backtests DIR] [--out DIR] [--quick]

Not a test; run by hand. Works on a throw-away store (configs copied to a temp root) with the
reference indicators imported, as ``benchmarks/presample_eval.py`` does; reads the reference
data beside the project, never copies it.

Samples:

* ``presample`` (choices): 2010-01..2018-12. China's 2000–2013 y/y, levels and balances
  (``X − M``) come from the reference levels (``china_trade_monthly.csv``), each dated the 10th
  of the next month, as in ``presample_eval.py``; 2014 on is the bundled snapshot.
* ``eval`` (reported, never tuned to): 2019-01..latest on the bundled snapshot.

Steps:

1. Backtest of the balance models (``naive``, ``seasonal_naive``, ``seasonal_arima``) from 24
   months before the start (the ensembles' warm-up), pseudo-real time as
   ``forecasting.backtest.run_backtest`` does it.
2. Backtests of the y/y targets with the default models (or ``--yoy-backtests DIR`` holding
   ``<sample>_exports_yoy.csv`` / ``<sample>_imports_yoy.csv`` written by ``run_backtest``
   over the same range) and the identity member from their ensembles
   (``forecasting.identity.identity_backtest``). Also the identity with the actual y/y prints
   (the floor: what the levels and the base's revisions cost).
3. The balance ensembles: the combination rule of the other targets
   (``combine_at_origins``: trailing-24-month inverse-MAE weights over the better half,
   errors known at each origin), with and without the identity as a member.
4. MAE, bias, RMSE, interval coverage per model; against the bundled 2016–2018 balance polls
   (MAE ratio, win rate, direction hit rate) where the sample covers them.
5. The year's surplus in pseudo-real time: for each year, as of the day after each release of
   its months (and the eve of its first release), the projection (``project_surplus``) from
   the balance ensemble of the direct models (remaining months forecast from the origin
   before the first unreleased month, combined with weights known then) against the outcome
   (the year's first releases). ``MONTH_CORRELATION`` is chosen on the presample by the log
   score of the realised totals.

``--quick`` (the test suite's run): two indicators, 2025-10..2025-12 with three months
before, the y/y targets with naive, ridge_ar and the ensemble.

Registers the pending balance models in ``models.registry.MODEL_PATHS`` at run time (until
the lead registers them there).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "data" / "reference"
sys.path.insert(0, str(ROOT))

BALANCE = "balance_usd_bn"
BALANCE_MODELS = ["naive", "seasonal_naive", "seasonal_arima", "kr_balance"]
DIRECT = ["naive", "seasonal_naive", "seasonal_arima"]
#: member sets of the balance ensembles compared (label -> members); the first is the choice
ENSEMBLES = {
    "": [*DIRECT, "kr_balance", "identity"],
    "[direct]": DIRECT,
    "[direct+kr]": [*DIRECT, "kr_balance"],
    "[direct+identity]": [*DIRECT, "identity"],
}
#: model sets whose weighted combination forecasts the surplus's remaining months (the first
#: is the choice)
SURPLUS_SETS = {"seasonal_arima": ["seasonal_arima"], "direct": DIRECT}
SAMPLES = {"presample": ("2010-01", "2018-12"), "eval": ("2019-01", None)}


def older_rows() -> pd.DataFrame:
    """China's 2000–2013 y/y, levels and balances from the reference levels (import rows)."""
    ref = pd.read_csv(REFERENCE / "china_trade_monthly.csv", dtype={"period": str})
    old = ref[ref["period"] < "2014-01"]
    columns = {
        "exports_yoy": "exports_yoy_pct",
        "imports_yoy": "imports_yoy_pct",
        "exports_usd_bn": "exports_usd_bn",
        "imports_usd_bn": "imports_usd_bn",
    }
    rows = []
    source = "reference china_trade_monthly.csv (revised levels; y/y derived from them)"
    for r in old.itertuples(index=False):
        released = (pd.Period(r.period, "M") + 1).to_timestamp().date().replace(day=10)
        for series, column in columns.items():
            value = getattr(r, column)
            if pd.notna(value):
                rows.append((series, r.period, float(value), released.isoformat(), source))
        if pd.notna(r.exports_usd_bn) and pd.notna(r.imports_usd_bn):
            balance = round(float(r.exports_usd_bn) - float(r.imports_usd_bn), 3)
            rows.append((BALANCE, r.period, balance, released.isoformat(), source + ", X - M"))
    return pd.DataFrame(rows, columns=["series", "period", "value", "released", "source"])


#: ``--quick``: the indicators imported, the range, the y/y models
QUICK_INDICATORS = ("kr_exports_yoy", "kr_exports_to_china_yoy")
QUICK_RANGE = ("2025-10", "2025-12")
QUICK_YOY_MODELS = ["naive", "ridge_ar", "ensemble"]


def open_store(sample: str, tmp: Path, only: tuple[str, ...] | None = None):  # noqa: ANN201
    shutil.copytree(ROOT / "configs", tmp / "configs")
    os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
    os.environ.pop("FORECASTING_DATABASE_URL", None)
    from forecasting.series import SERIES
    from forecasting.service import open_service

    svc = open_service()
    for path in sorted((REFERENCE / "indicators").glob("*.csv")):
        if path.stem in SERIES and (only is None or path.stem in only):
            svc.observations.import_csv(path, today=date.today(), series=path.stem)
    if sample == "presample":
        path = tmp / "older.csv"
        older_rows().to_csv(path, index=False)
        svc.observations.import_csv(path, today=date.today())
    return svc


def shift(period: str, months: int) -> str:
    return str(pd.Period(period, freq="M") + months)


def scores(frame: pd.DataFrame) -> pd.DataFrame:
    from forecasting.metrics import accuracy_table

    return accuracy_table(frame).round(2)


def against_polls(frame: pd.DataFrame, polls: pd.Series) -> pd.DataFrame:
    """Per model over the months with a poll: n, MAE, the poll's MAE, ratio, win rate and
    surprise-direction hit rate."""
    rows = []
    for model, g in frame.groupby("model", sort=False):
        g = g[g["period"].isin(polls.index) & g["yhat"].notna() & g["actual"].notna()]
        if g.empty:
            continue
        c = g["period"].map(polls)
        model_err = (g["yhat"] - g["actual"]).abs()
        poll_err = (c - g["actual"]).abs()
        rows.append(
            {
                "model": model,
                "n": len(g),
                "mae": model_err.mean(),
                "consensus_mae": poll_err.mean(),
                "ratio": model_err.mean() / poll_err.mean(),
                "win_rate": (model_err < poll_err).mean(),
                "direction_hit": (np.sign(g["yhat"] - c) == np.sign(g["actual"] - c)).mean(),
            }
        )
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).set_index("model").round(2)


def identity_floor(obs: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """The identity with the actual first-release y/y (the levels' and revisions' cost)."""
    from forecasting.identity import identity_bases, implied_balance
    from forecasting.levels import solve_levels
    from forecasting.observations import (
        first_release_actuals,
        first_release_dates,
        information_set,
    )

    released = first_release_dates(obs, BALANCE)
    actual = first_release_actuals(obs, BALANCE)
    gx, gm = (first_release_actuals(obs, s) for s in ("exports_yoy", "imports_yoy"))
    rows = []
    for period in periods:
        if period not in released or period not in gx or period not in gm:
            continue
        as_of = released[period]
        info = information_set(obs, as_of)
        levels = solve_levels(obs, as_of - timedelta(days=1))
        info = pd.concat(
            [info[~info["series"].isin(["exports_usd_bn", "imports_usd_bn"])], levels],
            ignore_index=True,
        )
        b = identity_bases(info, [period]).iloc[0]
        yhat = float(implied_balance(b.x_base, b.m_base, gx[period], gm[period], b.b_base))
        rows.append({"period": period, "model": "identity_actual_yoy", "yhat": yhat})
    out = pd.DataFrame(rows)
    out["actual"] = out["period"].map(actual)
    return out


def error_correlation(ex: pd.DataFrame, im: pd.DataFrame, start: str, end: str) -> float:
    cols = ["period", "yhat", "actual"]
    a = ex[ex["model"] == "ensemble"].loc[:, cols]
    b = im[im["model"] == "ensemble"].loc[:, cols]
    both = a.merge(b, on="period").dropna()
    both = both[(both["period"] >= start) & (both["period"] <= end)]
    return float(
        np.corrcoef(both["actual_x"] - both["yhat_x"], both["actual_y"] - both["yhat_y"])[0, 1]
    )


def surplus_paths(
    obs: pd.DataFrame,
    members: pd.DataFrame,
    years: list[int],
    models: list[str],
    rhos: tuple[float, ...],
    last_origins: int | None = None,
) -> pd.DataFrame:
    """The pseudo-real-time full-year projections (one row per year, origin and rho;
    ``last_origins``: only that many of each year's last origins)."""
    from forecasting.combination import known_errors
    from forecasting.levels import solve_levels
    from forecasting.observations import first_release_actuals, first_release_dates
    from forecasting.origin import member_forecasts
    from forecasting.surplus import project_surplus, unreleased_periods, year_totals
    from models.ensemble import combine_forecasts, inverse_mae_weights
    from models.periods import full_year_periods

    released = first_release_dates(obs, BALANCE)
    actual = first_release_actuals(obs, BALANCE)
    scored = members.assign(actual=members["period"].map(actual))
    errors = known_errors(scored, released, date.max)
    errors_released = errors["period"].map(released)
    totals = year_totals(actual.to_dict())
    rows = []
    for year in years:
        if year not in totals:
            continue
        periods = [str(p) for p in full_year_periods(year)]
        dates = [released[p] for p in periods]
        origins = [dates[0]] + [d + timedelta(days=1) for d in dates]  # eve of the first, then
        origins = origins[-last_origins:] if last_origins else origins
        for as_of in origins:
            known = obs[obs["released"] < as_of]
            balances = known[known["series"] == BALANCE].sort_values("released")
            balances = balances.drop_duplicates("period").loc[:, ["period", "value", "released"]]
            todo = unreleased_periods(
                year, dict(zip(balances["period"], balances["value"], strict=True))
            )
            remaining = None
            if todo:
                # the history before the first unreleased month: drop later figures
                before = obs[~((obs["series"] == BALANCE) & (obs["period"] >= todo[0]))]
                path = member_forecasts(before, BALANCE, todo[-1], as_of, models).rows
                path = path[path["yhat"].notna()]
                weights = inverse_mae_weights(errors[errors_released < as_of], window=24)
                remaining = combine_forecasts(path, weights, "weighted")
                remaining = remaining[remaining["period"].isin(todo)]
            lv = solve_levels(known).pivot(index="period", columns="series", values="value")
            levels = {c: lv[c].dropna().to_dict() for c in lv.columns}
            yoy = {
                s: first_release_actuals(known, s).to_dict() for s in ("exports_yoy", "imports_yoy")
            }
            for rho in rhos:
                p = project_surplus(
                    year, as_of, balances, remaining, levels=levels, yoy=yoy, rho=rho
                )
                sd = 0.0
                if not p.remaining.empty:
                    rem = p.remaining
                    sds = (rem["yhat_hi_80"] - rem["yhat_lo_80"]).to_numpy(float) / (2 * 1.2816)
                    k = np.arange(len(sds))
                    sd = float(np.sqrt(sds @ (rho ** np.abs(k[:, None] - k[None, :])) @ sds))
                rows.append(
                    {
                        "year": year,
                        "as_of": as_of,
                        "released_months": len(p.released),
                        "rho": rho,
                        "total": p.total,
                        "lo80": p.total_lo_80,
                        "hi80": p.total_hi_80,
                        "lo95": p.total_lo_95,
                        "hi95": p.total_hi_95,
                        "sd": sd,
                        "record": p.record,
                        "p_record": p.p_record,
                        "outcome": totals[year],
                        "exports_growth_ytd": p.exports_growth_ytd,
                        "imports_growth_ytd": p.imports_growth_ytd,
                    }
                )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:  # noqa: PLR0915 - one report, step by step
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", choices=list(SAMPLES), default="eval")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--yoy-backtests", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="folder for the frames (CSV)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if not REFERENCE.is_dir():
        sys.exit(f"reference data not found at {REFERENCE}")
    warnings.simplefilter("ignore")
    from forecasting.backtest import run_backtest
    from forecasting.combination import combine_at_origins
    from forecasting.identity import identity_backtest
    from forecasting.observations import first_release_actuals

    tmp = Path(tempfile.mkdtemp(prefix="balance-eval-"))
    svc = open_store(args.sample, tmp, QUICK_INDICATORS if args.quick else None)
    obs = svc.observations.frame()
    start, end = QUICK_RANGE if args.quick else SAMPLES[args.sample]
    end = end or max(obs.loc[obs["series"] == BALANCE, "period"])
    lo = shift(start, -3 if args.quick else -24)
    yoy_models = QUICK_YOY_MODELS if args.quick else list(svc.settings.models.default)
    print(f"sample {args.sample}: {start}..{end} (members from {lo})")
    out = args.out
    if out:
        out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    members = run_backtest(obs, BALANCE, lo, end, BALANCE_MODELS, jobs=args.jobs, warmup=0)
    print(f"balance models backtest: {time.perf_counter() - t0:.0f} s")

    yoy = {}
    for target in ("exports_yoy", "imports_yoy"):
        given = args.yoy_backtests / f"{args.sample}_{target}.csv" if args.yoy_backtests else None
        if given and given.exists():
            frame = pd.read_csv(given, dtype={"period": str})
            frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
        else:
            t0 = time.perf_counter()
            frame = run_backtest(obs, target, lo, end, yoy_models, jobs=args.jobs)
            print(f"{target} backtest: {time.perf_counter() - t0:.0f} s")
            if out:
                frame.to_csv(out / f"{args.sample}_{target}.csv", index=False)
        yoy[target] = frame
    identity = identity_backtest(yoy["exports_yoy"], yoy["imports_yoy"], obs)
    rho_xm = error_correlation(yoy["exports_yoy"], yoy["imports_yoy"], start, end)
    print(f"correlation of the exports and imports ensemble errors {start}..{end}: {rho_xm:.2f}")

    cols = ["target", "period", "model", "as_of", "yhat", "yhat_lo_80", "yhat_hi_80"]
    cols += ["yhat_lo_95", "yhat_hi_95"]
    with_identity = pd.concat([members.loc[:, cols], identity.loc[:, cols]], ignore_index=True)
    actual = first_release_actuals(obs, BALANCE)
    combos = []
    for label, member_set in ENSEMBLES.items():
        part = with_identity[with_identity["model"].isin(member_set)]
        comb = combine_at_origins(
            part, ["ensemble", "ensemble_median"], obs, BALANCE, actual=actual
        )
        comb["model"] = comb["model"] + label
        combos.append(comb)
    floor = identity_floor(obs, sorted(p for p in actual.index if start <= p <= end))
    frame = pd.concat([with_identity, *combos], ignore_index=True)
    frame["actual"] = frame["period"].map(actual)
    frame = frame[(frame["period"] >= start) & (frame["period"] <= end)]
    if out:
        frame.to_csv(out / f"{args.sample}_balance.csv", index=False)
    print(f"\nbalance {start}..{end}, first-release actuals:")
    table = scores(frame)
    fl = floor.dropna()
    table.loc["identity_actual_yoy", ["n", "mae"]] = [
        len(fl),
        (fl["yhat"] - fl["actual"]).abs().mean(),
    ]
    print(table.to_string())
    jan_feb = frame[frame["period"].str[5:7].isin(["01", "02"])]
    rest = frame[~frame["period"].str[5:7].isin(["01", "02"])]
    print("\nMAE on Jan/Feb prints vs the other months:")
    print(
        pd.DataFrame(
            {
                "jan_feb": (jan_feb["yhat"] - jan_feb["actual"])
                .abs()
                .groupby(jan_feb["model"])
                .mean(),
                "other": (rest["yhat"] - rest["actual"]).abs().groupby(rest["model"]).mean(),
            }
        )
        .round(2)
        .to_string()
    )

    polls = svc.consensus.frame(BALANCE)
    if not polls.empty:
        polls = polls.sort_values("polled_on").drop_duplicates("period", keep="last")
        polls = polls.set_index("period")["consensus"].astype(float)
        vs = against_polls(frame, polls)
        if not vs.empty:
            print("\nagainst the bundled balance polls (months with a poll):")
            print(vs.to_string())

    years = sorted({int(p[:4]) for p in actual.index if start <= p <= end})
    rhos = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95)
    sets = dict(list(SURPLUS_SETS.items())[:1]) if args.quick else SURPLUS_SETS
    parts = []
    for label, models in sets.items():
        last = 3 if args.quick else None
        part = surplus_paths(obs, members.loc[:, cols], years, models, rhos, last)
        parts.append(part.assign(models=label))
    paths = pd.concat(parts, ignore_index=True)
    if out:
        paths.to_csv(out / f"{args.sample}_surplus_paths.csv", index=False)
    open_ = paths[
        paths["released_months"] < paths.groupby("year")["released_months"].transform("max")
    ]
    print("\nsurplus projection before the year is complete, by model set and rho:")
    rows = []
    for (label, rho), g in open_.groupby(["models", "rho"], sort=False):
        err = g["outcome"] - g["total"]
        nll = np.mean(np.log(g["sd"]) + 0.5 * (err / g["sd"]) ** 2)
        rows.append(
            {
                "models": label,
                "rho": rho,
                "n": len(g),
                "mae": err.abs().mean(),
                "nll": nll,
                "cov80": ((g["outcome"] >= g["lo80"]) & (g["outcome"] <= g["hi80"])).mean(),
                "cov95": ((g["outcome"] >= g["lo95"]) & (g["outcome"] <= g["hi95"])).mean(),
            }
        )
    print(pd.DataFrame(rows).round(3).to_string(index=False))
    from forecasting.surplus import MONTH_CORRELATION

    first = next(iter(SURPLUS_SETS))
    chosen = paths[(paths["rho"] == MONTH_CORRELATION) & (paths["models"] == first)].copy()
    chosen["error"] = chosen["total"] - chosen["outcome"]
    print(
        f"\nsurplus projections as of each release ({first} models, rho {MONTH_CORRELATION}), "
        "vs the outcome:"
    )
    for year, g in chosen.groupby("year"):
        print(f"{year}: outcome {g['outcome'].iloc[0]:.1f}, record before {g['record'].iloc[0]}")
        print(
            g.loc[
                :,
                [
                    "as_of",
                    "released_months",
                    "total",
                    "lo80",
                    "hi80",
                    "lo95",
                    "hi95",
                    "error",
                    "p_record",
                ],
            ]
            .round(2)
            .to_string(index=False)
        )
    by_k = chosen[chosen["released_months"] < 11].groupby("released_months")
    print("\nmean absolute error of the projection by months released:")
    print(by_k["error"].apply(lambda e: e.abs().mean()).round(1).to_string())
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
