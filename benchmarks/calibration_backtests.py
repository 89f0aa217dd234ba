"""Backtest CSVs for ``benchmarks/calibration_eval.py`` (not a test; run by hand).

    python benchmarks/calibration_backtests.py --out-dir DIR [--start 2006-01] [--end 2026-05]
        [--targets exports_yoy,imports_yoy] [--models a,b] [--jobs 2] [--no-older] [--quick]

Builds a throw-away store as ``benchmarks/presample_eval.py`` does (the configs copied to a
temp root, the bundled snapshot, every reference indicator imported rule-dated from
``../shared/data/reference/indicators``, and China's prints before 2014 from the reference
levels, dated the 10th of the next month; ``--no-older`` leaves those out, i.e. the store the
README's evaluation uses) and writes, per target, what ``forecasting backtest --target T
--start S --end E --out F.csv`` writes: ``DIR/backtest_<target>.csv`` (the backtest frame:
``target, period, model, as_of, yhat, yhat_lo_80, ..., actual, error, uses_indicators``). It
also writes ``DIR/observations.csv`` (the store's rows, every vintage), so later evaluations
can rebuild information sets without the store. Nothing is copied into the project: ``DIR``
should be outside it (e.g. under /tmp).

The calibration evaluation needs errors known *before* each reported origin, so start the
backtest well before the first month you report (the default 2006-01 gives 48 months of
ensemble errors before 2010-01).

``--quick`` (the test suite's run): two indicators, no older prints, two origins of exports
with naive, dynreg and the ensemble, one process.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per worker process

import argparse  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "data" / "reference"
TARGET_COLUMNS = {"exports_yoy": "exports_yoy_pct", "imports_yoy": "imports_yoy_pct"}


def older_prints(first: dict[str, str], folder: Path) -> Path:
    """China's y/y before the store's first period (reference levels), as an import file."""
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


def build_observations(
    tmp: Path, *, older: bool = True, only: tuple[str, ...] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """(every stored row, the configured default models) of a throw-away store in ``tmp``
    (``only``: import just these reference indicators)."""
    shutil.copytree(ROOT / "configs", tmp / "configs")
    os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
    os.environ.pop("FORECASTING_DATABASE_URL", None)
    from forecasting.series import SERIES
    from forecasting.service import open_service

    svc = open_service()
    for path in sorted((REFERENCE / "indicators").glob("*.csv")):
        if path.stem in SERIES and (only is None or path.stem in only):
            svc.observations.import_csv(path, today=date.today(), series=path.stem)
    if older:
        obs = svc.observations.frame()
        first = {s: obs.loc[obs["series"] == s, "period"].min() for s in TARGET_COLUMNS}
        svc.observations.import_csv(older_prints(first, tmp), today=date.today())
    return svc.observations.frame(), list(svc.settings.models.default)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--start", default="2006-01")
    parser.add_argument("--end", default="2026-05")
    parser.add_argument("--targets", default=",".join(TARGET_COLUMNS))
    parser.add_argument("--models", default="")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-older", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.start, args.end, args.targets, args.jobs = "2025-11", "2025-12", "exports_yoy", 1
        args.models, args.no_older = "naive,dynreg,ensemble", True
    if not REFERENCE.is_dir():
        print(f"reference data not found at {REFERENCE}", file=sys.stderr)
        return 1
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    from forecasting.backtest import run_backtest

    args.out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="calib-store-"))
    try:
        only = QUICK_INDICATORS if args.quick else None
        obs, default = build_observations(tmp, older=not args.no_older, only=only)
        obs.to_csv(args.out_dir / "observations.csv", index=False)
        aliases = args.models.split(",") if args.models else default
        for target in args.targets.split(","):
            t0 = time.perf_counter()
            frame = run_backtest(
                obs,
                target,
                args.start,
                args.end,
                aliases,
                jobs=args.jobs,
                warmup=0 if args.quick else None,
            )
            out = args.out_dir / f"backtest_{target}.csv"
            frame.to_csv(out, index=False)
            print(f"{target}: {len(frame)} rows -> {out} ({time.perf_counter() - t0:.0f} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
