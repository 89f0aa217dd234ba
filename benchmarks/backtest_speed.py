"""Backtest wall time (not a test): both targets, all models, 2016-01 .. latest.

Every origin is refitted from its own information set (no state carried across origins).
Prints the wall time, seconds per model (summed fit+predict time in the workers, measured by
re-running one origin per model serially and scaling), and MLflow logging time as a share.

Usage: python benchmarks/backtest_speed.py [--start 2016-01] [--models a,b] [--jobs 2]
                                           [--targets a,b] [--no-mlflow] [--quick]

``--quick``: two origins of exports without warm-up, naive/dynreg/ensemble, one process, no
MLflow (the test suite runs it). ``benchmarks/stage_speed.py`` splits the same time by stage.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", default="2016-01")
    parser.add_argument("--end", default=None)
    parser.add_argument("--models", default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument(
        "--indicators",
        default=None,
        help="folder of one-series indicator CSVs to import first "
        "(e.g. ../shared/data/reference/indicators)",
    )
    parser.add_argument("--targets", default=None, help="default: every configured target")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.start, args.end, args.jobs = "2025-11", "2025-12", 1
        args.models, args.targets = "naive,dynreg,ensemble", "exports_yoy"
        args.no_mlflow = True  # a fresh MLflow store alone takes seconds to create

    tmp = Path(tempfile.mkdtemp(prefix="bt-bench-"))
    shutil.copytree(ROOT / "configs", tmp / "configs")
    os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("FORECASTING_DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    from forecasting import tracking
    from forecasting.combination import split_models
    from forecasting.errors import TrackingError
    from forecasting.origin import member_forecasts
    from forecasting.service import open_service
    from forecasting.usecases import backtest

    svc = open_service()
    if args.indicators:
        from datetime import date

        from forecasting.series import SERIES

        for path in sorted(Path(args.indicators).glob("*.csv")):
            if path.stem in SERIES:
                svc.observations.import_csv(path, today=date.today(), series=path.stem)
    models = args.models.split(",") if args.models else list(svc.settings.models.default)
    obs = svc.observations.frame()
    rows = []
    total_t0 = time.perf_counter()
    targets = args.targets.split(",") if args.targets else list(svc.settings.targets.names)
    for target in targets:
        end = args.end or obs[obs["series"] == target]["period"].max()
        result = backtest(
            svc,
            target,
            args.start,
            end,
            models=models,
            jobs=args.jobs,
            warmup=0 if args.quick else None,
        )
        t1, error = time.perf_counter(), ""
        if not args.no_mlflow:
            try:
                tracking.log_backtest(svc.settings, result)
            except TrackingError as exc:
                error = str(exc)
        rows.append(
            {
                "target": target,
                "origins": result.frame["period"].nunique(),
                "backtest_s": result.seconds,
                "mlflow_s": time.perf_counter() - t1,
                "failed_rows": int(result.frame["yhat"].isna().sum()),
                "tracking_error": error,
            }
        )
    wall = time.perf_counter() - total_t0
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    mlflow_s = table["mlflow_s"].sum()
    print(
        f"\nwall time, {len(targets)} target(s), {len(models)} models: {wall:.1f} s "
        f"(backtest {table['backtest_s'].sum():.1f} s, MLflow logging {mlflow_s:.1f} s = "
        f"{100 * mlflow_s / wall:.0f}% of the whole)"
    )

    # seconds per model: one serial fit+predict per model at a late origin, times origins
    target = targets[0]
    period = obs[obs["series"] == target]["period"].max()
    as_of = obs[(obs["series"] == target) & (obs["period"] == period)]["released"].min()
    n_origins = int(table["origins"].sum())
    print(f"\nper model (one serial fit+predict at {period}, x {n_origins} origins, 1 process):")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for alias in split_models(models)[0]:
            t0 = time.perf_counter()
            reps = 1 if args.quick else 3
            for _ in range(reps):
                member_forecasts(obs, target, period, as_of, [alias])
            per = (time.perf_counter() - t0) / reps
            print(f"  {alias:<16} {per:6.3f} s/origin  ~{per * n_origins:6.1f} s total")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
