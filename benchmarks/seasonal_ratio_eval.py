"""Sensitivity of ``seasonal_ratio`` to its two settings (not a test; run by hand).

    python benchmarks/seasonal_ratio_eval.py [--start 2019-01] [--quick]

For each target and each month M from ``--start`` to the latest actual in the bundled
snapshot: ``as_of`` = the day before M's first release, the history is the target as known
then (:func:`forecasting.observations.information_set`), and the model forecasts M. Prints
the MAE and 80% coverage for each ``years`` set and ``recent`` count (the default,
``years=(2, 3, 4)`` and ``recent=2``, is marked), next to ``naive`` on the same origins.
The model is univariate, so no indicators are needed. ``--quick``: the last few origins and
two settings (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forecasting.backtest import backtest_origins  # noqa: E402
from forecasting.observations import (  # noqa: E402
    first_release_actuals,  # noqa: E402
    information_set,
    target_history,
)
from forecasting.snapshot_loader import SNAPSHOT_OBSERVATIONS, snapshot_path  # noqa: E402
from models.base import Forecaster  # noqa: E402
from models.naive import NaiveForecaster  # noqa: E402
from models.periods import next_target_periods
from models.seasonal_ratio import SeasonalRatioForecaster  # noqa: E402

YEARS = [(2,), (3,), (2, 3), (2, 3, 4), (2, 3, 4, 5), (1, 2, 3)]
RECENT = [1, 2, 3]


def snapshot_observations() -> pd.DataFrame:
    obs = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype={"period": str})
    obs["released"] = pd.to_datetime(obs["released"]).dt.date
    return obs


def score(model: Forecaster, cases: list[tuple[pd.Series, str, float]]) -> tuple[float, float]:
    errors, inside = [], []
    for history, period, actual in cases:
        steps = [p for p in next_target_periods(history.index[-1], 24) if str(p) <= period]
        row = model.fit(history).predict(len(steps)).iloc[-1]
        errors.append(abs(row["yhat"] - actual))
        inside.append(row["yhat_lo_80"] <= actual <= row["yhat_hi_80"])
    return float(np.mean(errors)), float(np.mean(inside))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2019-01")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    years_grid, recent_grid = YEARS, RECENT
    if args.quick:
        args.start, years_grid, recent_grid = "2025-09", [(2, 3, 4)], [1, 2]
    obs = snapshot_observations()
    for target in ("exports_yoy", "imports_yoy"):
        started = time.perf_counter()
        actual = first_release_actuals(obs, target)
        end = max(actual.index)
        cases = []
        for origin in backtest_origins(obs, target, args.start, end):
            history = target_history(information_set(obs, origin.as_of), target)
            history = history[history.index < pd.Period(origin.period, "M")].dropna()
            cases.append((history, origin.period, float(actual[origin.period])))
        mae, cov = score(NaiveForecaster(), cases)
        print(f"\n{target} {args.start}..{end}, {len(cases)} origins: naive MAE {mae:.2f}")
        print("years          recent   MAE   cov80")
        for years in years_grid:
            for recent in recent_grid:
                mae, cov = score(SeasonalRatioForecaster(years=years, recent=recent), cases)
                mark = "  <- default" if (years, recent) == ((2, 3, 4), 2) else ""
                print(f"{years!s:14} {recent:6}  {mae:5.2f}  {cov:5.2f}{mark}")
        print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
