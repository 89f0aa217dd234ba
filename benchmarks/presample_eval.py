"""The 2010–2018 backtest: a sample for choices, kept apart from the 2019–2026 evaluation.

    python benchmarks/presample_eval.py [--start 2010-01] [--end 2018-12] [--jobs 2] [--quick]

Not a test; run by hand (about 2 minutes on 2 cores). It reads the reference data beside the
project (``../shared/data/reference``), never copies it into the project, and works on a
throw-away store:

1. copies ``configs/`` to a temp root, points ``FORECASTING_CONFIG`` at it and opens the
   service (the bundled snapshot: China's headline prints from 2014);
2. imports every reference indicator (``import_csv(..., series=NAME)``, rule-dated) and
   China's older prints from ``china_trade_monthly.csv`` (y/y derived from customs levels,
   2000–2013, through the product's own import), each dated the 10th of the next month, the
   usual GACC release window then (only the order matters: every origin is the eve of a
   release, so all earlier months are known at it);
3. backtests both targets over ``[start - 12 months, end]`` with the default models and
   prints each model's MAE over ``[start, end]``;
4. replays the ensemble's combination on those member forecasts for a grid of trimming
   shares (``top``) and windows, each origin weighted only by errors known at it, and with
   and without the Jan–Feb rule (``models.ensemble.JAN_FEB_MEMBER``);
5. prints the consensus MAE for the months the bundled polls cover (2016–2018).

``inverse_mae_weights``'s default ``top = 0.5`` comes from this script: keeping the better
half was best in every window on the sum of the two targets' MAE (11.68 with 60 months, 11.69
with the existing 24, against 12.49–12.54 untrimmed), so the window stayed at 24. Those
figures predate the Jan–Feb rule; the grid now runs with it (``JAN_FEB_MEMBER``), and the line
after it gives the MAE with and without the rule.

``--quick`` (the test suite's run): two indicators, no older prints, 2018-11..2018-12 with
two months before, naive, ridge_ar and the ensemble, one process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "data" / "reference"
TARGET_COLUMNS = {"exports_yoy": "exports_yoy_pct", "imports_yoy": "imports_yoy_pct"}


def older_prints(first: dict[str, str], folder: Path) -> Path:
    """China's y/y before the store's first period, as an import file in ``folder``."""
    ref = pd.read_csv(REFERENCE / "china_trade_monthly.csv", dtype={"period": str})
    rows = []
    for series, column in TARGET_COLUMNS.items():
        old = ref[(ref["period"] < first[series]) & ref[column].notna()]
        for period, value in zip(old["period"], old[column], strict=True):
            released = (pd.Period(period, "M") + 1).to_timestamp().date().replace(day=10)
            rows.append(
                {
                    "series": series,
                    "period": period,
                    "value": float(value),
                    "released": released.isoformat(),
                    "source": "reference china_trade_monthly.csv (derived from levels)",
                }
            )
    path = folder / "china_older.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


#: the indicators ``--quick`` imports
QUICK_INDICATORS = ("kr_exports_yoy", "kr_exports_first20d_yoy")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", default="2010-01")
    parser.add_argument("--end", default="2018-12")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.start, args.end, args.jobs = "2018-11", "2018-12", 1
    if not REFERENCE.is_dir():
        sys.exit(f"reference data not found at {REFERENCE}")

    tmp = Path(tempfile.mkdtemp(prefix="presample-"))
    shutil.copytree(ROOT / "configs", tmp / "configs")
    os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
    os.environ.pop("FORECASTING_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from dataclasses import replace

    from forecasting.backtest import run_backtest
    from forecasting.combination import combine_at_origins, split_models
    from forecasting.observations import first_release_actuals
    from forecasting.series import SERIES
    from forecasting.service import open_service
    from models.ensemble import JAN_FEB_MEMBER, EnsembleForecaster

    svc = open_service()
    for path in sorted((REFERENCE / "indicators").glob("*.csv")):
        if path.stem in SERIES and (not args.quick or path.stem in QUICK_INDICATORS):
            svc.observations.import_csv(path, today=date.today(), series=path.stem)
    obs = svc.observations.frame()
    if not args.quick:
        first = {s: obs.loc[obs["series"] == s, "period"].min() for s in TARGET_COLUMNS}
        svc.observations.import_csv(older_prints(first, tmp), today=date.today())
        obs = svc.observations.frame()

    aliases = ["naive", "ridge_ar", "ensemble"] if args.quick else list(svc.settings.models.default)
    fitted, _ = split_models(aliases)
    consensus = svc.consensus.frame()
    lo = str(pd.Period(args.start, "M") - (2 if args.quick else 12))
    total: dict[tuple[float, int], float] = {}
    for target in TARGET_COLUMNS:
        t0 = time.perf_counter()
        frame = run_backtest(
            obs, target, lo, args.end, aliases, jobs=args.jobs, warmup=0 if args.quick else None
        )
        scored = frame[frame["period"] >= args.start]
        mae = (scored["yhat"] - scored["actual"]).abs().groupby(scored["model"]).mean()
        n = scored["period"].nunique()
        print(f"\n{target} {args.start}..{args.end} ({n} months, {time.perf_counter() - t0:.0f} s)")
        print(mae.sort_values().round(2).to_string())
        members = frame[frame["model"].isin(fitted)]
        actual = first_release_actuals(obs, target)
        print("\ncombination grid (MAE): rows top share, columns window")
        grid = {}
        for top in (1.0, 0.75, 0.5, 0.34, 0.25):
            for window in (24, 36, 60):
                rule = replace(EnsembleForecaster.rule, window=window, top=top)
                comb = combine_at_origins(
                    members, ["ensemble"], obs, target, actual=actual, rules={"ensemble": rule}
                )
                comb = comb[comb["period"] >= args.start]
                value = float((comb["yhat"] - comb["period"].map(actual)).abs().mean())
                grid[(top, window)] = value
                total[(top, window)] = total.get((top, window), 0.0) + value
        table = pd.Series(grid).unstack().round(2)
        print(table.to_string())
        no_rule = {"ensemble": replace(EnsembleForecaster.rule, jan_feb_member=None)}
        off = combine_at_origins(members, ["ensemble"], obs, target, actual=actual, rules=no_rule)
        off = off[off["period"] >= args.start]
        print(
            f"Jan-Feb rule (ensemble centred on {JAN_FEB_MEMBER} in Jan/Feb), top=0.5, window=24:"
            f" MAE {grid[(0.5, 24)]:.2f} with it, "
            f"{float((off['yhat'] - off['period'].map(actual)).abs().mean()):.2f} without"
        )
        if not consensus.empty:
            polls = consensus[consensus["target"] == target].set_index("period")["consensus"]
            both = pd.concat([actual.rename("actual"), polls], axis=1, join="inner").dropna()
            both = both[(both.index >= args.start) & (both.index <= args.end)]
            if len(both):
                c_mae = float((both["consensus"] - both["actual"]).abs().mean())
                same = scored[scored["period"].isin(both.index)]
                e = (same["yhat"] - same["actual"]).abs().groupby(same["model"]).mean()
                print(f"\nconsensus MAE over its {len(both)} months: {c_mae:.2f}; models there:")
                print(e.sort_values().round(2).head(6).to_string())
    best = min(total, key=total.get)
    print(f"\nbest cell on the sum of both targets: top={best[0]}, window={best[1]}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
