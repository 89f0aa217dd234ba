"""Backtest rows of model variants (settings other than the defaults), for calibration_eval.

    python benchmarks/member_variants.py --dir DIR --variants calendar,exports_info
        [--start 2006-01] [--end 2026-05] [--targets exports_yoy,imports_yoy] [--jobs 2]
        [--quick]

Not a test; run by hand after ``benchmarks/calibration_backtests.py --out-dir DIR`` (it reads
``DIR/observations.csv``, the store that script built). For each target and each origin of
``[start, end]`` (``as_of`` = the eve of the period's first release, as in the backtest) it
refits each variant model on ``information_set(as_of)`` and forecasts the period, exactly as
``forecasting.backtest.forecast_path`` does for the defaults but with the variant's keyword
arguments. Writes ``DIR/variants_<target>.csv``: the backtest columns plus ``variant``.
``benchmarks/calibration_eval.py`` swaps a variant's rows for the default rows of its model
and recombines the ensemble, so a variant is judged by what it does to the ensemble too.

Variant groups (``--variants``):

- ``calendar``: ``dynreg``, ``bridge`` and ``kr_surprise`` with the calendar regressors of
  :mod:`models.workdays` (China's working days against a year earlier, as a log ratio, and
  Lunar New Year's position; Korea's working days beside the Korean indicators).
- ``exports_info``: ``dynreg``, ``bridge`` and ``kr_surprise`` each with one more timely
  exports indicator (Korea's first-10-day exports, Taiwan's export orders and exports,
  Vietnam's exports), ``dynreg``/``bridge`` without Korea's first-20-day exports and
  ``kr_surprise`` with them. A variant run over part of the range only (``--start``) stands
  in for its model's default rows there; before it the default rows are kept (the right
  thing where the indicator cannot enter the model yet: none of these four has the 24 months
  of overlap a model needs before 2019, see the report of calibration_eval).

``--quick`` (the test suite's run): two calendar variants at two origins of exports, one
process; without ``DIR/observations.csv`` it writes the bundled snapshot's rows there first.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CAL = ("cn_wd_log", "lny_pre", "lny_post")
CAL_KR = (*CAL, "kr_wd_log")
DYN = ("kr_exports_yoy", "kr_exports_first20d_yoy", "cn_pmi_new_export_orders")
KRS = ("kr_exports_yoy", "kr_exports_to_china_yoy")
EXTRA = ("kr_exports_first10d_yoy", "tw_export_orders_yoy", "tw_exports_yoy", "vn_exports_yoy")


def variant_groups() -> dict[str, list[tuple[str, str, dict]]]:
    """group -> [(variant name, alias, kwargs)]."""
    calendar = [
        ("dynreg+cal", "dynreg", {"calendar": CAL_KR}),
        ("bridge+cal", "bridge", {"calendar": CAL_KR}),
        ("kr_surprise+cal", "kr_surprise", {"calendar": CAL_KR}),
        ("kr_surprise+cn_cal", "kr_surprise", {"calendar": CAL}),
        # the same models without any calendar (the defaults before the calendar was kept)
        ("dynreg-cal", "dynreg", {"calendar": ()}),
        ("bridge-cal", "bridge", {"calendar": ()}),
        ("kr_surprise-cal", "kr_surprise", {"calendar": ()}),
    ]
    # measured against the models without the calendar, as the report's base CSVs were
    off = {"calendar": ()}
    info = []
    for extra in EXTRA:
        short = extra.replace("_yoy", "")
        info.append((f"dynreg+{short}", "dynreg", {"indicators": (*DYN, extra), **off}))
        info.append((f"bridge+{short}", "bridge", {"indicators": (*DYN, extra), **off}))
        info.append((f"kr_surprise+{short}", "kr_surprise", {"indicators": (*KRS, extra), **off}))
    no20 = tuple(i for i in DYN if i != "kr_exports_first20d_yoy")
    info.append(("dynreg-kr_exports_first20d", "dynreg", {"indicators": no20, **off}))
    info.append(("bridge-kr_exports_first20d", "bridge", {"indicators": no20, **off}))
    info.append(
        (
            "kr_surprise+kr_exports_first20d",
            "kr_surprise",
            {"indicators": (*KRS, "kr_exports_first20d_yoy"), **off},
        )
    )
    return {"calendar": calendar, "exports_info": info}


_OBS: pd.DataFrame | None = None


def _init(obs: pd.DataFrame) -> None:
    global _OBS
    _OBS = obs
    warnings.simplefilter("ignore")


def _one(job: tuple[str, str, object, str, str, dict]) -> list[dict]:
    from forecasting.indicators import indicator_exog
    from forecasting.observations import information_set, target_history
    from models.periods import next_target_periods
    from models.registry import create_model

    target, period, as_of, name, alias, kwargs = job
    assert _OBS is not None
    info = information_set(_OBS, as_of)
    p = pd.Period(period, freq="M")
    history = target_history(info, target)
    history = history[history.index < p]
    history = history.loc[: history.last_valid_index()]
    horizon = len([q for q in next_target_periods(history.index[-1], 240) if q <= p])
    row = {"target": target, "period": period, "model": alias, "as_of": as_of, "variant": name}
    try:
        model = create_model(alias, **kwargs)
        exog = indicator_exog(info, list(model.indicators), p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = model.fit(history, exog).predict(horizon, exog)
        fc = fc[fc["period"] == period].iloc[0]
        row.update({c: float(fc[c]) for c in fc.index if c != "period"})
        row["uses_indicators"] = bool(model.used_indicators)
        row["used"] = ",".join(model.used_indicators)
        row["error"] = ""
    except Exception as exc:  # noqa: BLE001 - a failure is recorded for this origin
        row.update(yhat=np.nan, error=f"{type(exc).__name__}: {exc}")
    return [row]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--variants", default="calendar,exports_info")
    parser.add_argument("--start", default="2006-01")
    parser.add_argument("--end", default="2026-05")
    parser.add_argument("--targets", default="exports_yoy,imports_yoy")
    parser.add_argument("--only", default="", help="comma-separated variant names to run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from forecasting.backtest import backtest_origins

    if args.quick:
        args.variants, args.only, args.jobs = "calendar", "dynreg+cal,dynreg-cal", 1
        args.start, args.end, args.targets = "2025-11", "2025-12", "exports_yoy"
        if not (args.dir / "observations.csv").exists():
            from forecasting.snapshot_loader import SNAPSHOT_OBSERVATIONS, snapshot_path

            args.dir.mkdir(parents=True, exist_ok=True)
            snapshot = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype={"period": str})
            snapshot.to_csv(args.dir / "observations.csv", index=False)
    obs = pd.read_csv(args.dir / "observations.csv", dtype={"period": str})
    obs["released"] = pd.to_datetime(obs["released"]).dt.date
    groups = variant_groups()
    variants = [v for g in args.variants.split(",") for v in groups[g]]
    if args.only:
        variants = [v for v in variants if v[0] in args.only.split(",")]
    for target in args.targets.split(","):
        t0 = time.perf_counter()
        origins = backtest_origins(obs, target, args.start, args.end)
        jobs = [(target, o.period, o.as_of, *v) for v in variants for o in origins]
        with Pool(args.jobs, initializer=_init, initargs=(obs,)) as pool:
            rows = [r for part in pool.map(_one, jobs, chunksize=8) for r in part]
        frame = pd.DataFrame(rows)
        out = args.dir / f"variants_{target}.csv"
        if out.exists():
            old = pd.read_csv(out, dtype={"period": str})
            frame = pd.concat([old[~old["variant"].isin(frame["variant"])], frame])
        frame.to_csv(out, index=False)
        print(f"{target}: {len(rows)} rows -> {out} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
