"""Pseudo-real-time evaluation of the nowcasting models (not a test; run by hand).

    python benchmarks/nowcast_eval.py [--start 2019-01] [--jobs 2] [--out forecasts.csv]
                                      [--no-contributions] [--quick]

What it does:

1. Builds a throw-away store: copies ``configs/`` to a temp root, points
   ``FORECASTING_CONFIG`` at it (its model list is reduced to ``naive`` so the benchmark does
   not depend on which other models are registered), opens the service (bundled snapshot) and
   imports every reference indicator from ``../shared/data/reference/indicators`` with
   ``import_csv(..., series=NAME)`` (rule-dated; the bundled first releases are kept). Rows
   before 1995 are dropped first, as when these figures were first measured (the store now
   accepts indicator y/y up to ±1000%, e.g. Korea's pre-1992 exports to China, but keeping
   the cut keeps the benchmark's sample unchanged).
2. For each target and each month M from ``--start`` to the latest actual: ``as_of`` = the
   day before M's first release, ``info = information_set(as_of)``, ``history =
   target_history(info, target)``, ``exog = indicator_exog(info, ALL, M)``; each model is
   fitted and forecasts M (horizon = target periods from the history's end to M).
3. Reports MAE (and 80% coverage) of naive, ``dynreg``, ``bridge``, ``dfm`` and their simple
   mean per target; the contribution of each indicator to the best model (MAE without it,
   or with it for indicators outside its default set); wall time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per worker process

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO.parent / "shared" / "data" / "reference" / "indicators"
TARGETS = ("exports_yoy", "imports_yoy")
ALL_INDICATORS = (
    "kr_exports_yoy",
    "kr_exports_to_china_yoy",
    "kr_exports_first20d_yoy",
    "kr_exports_first10d_yoy",
    "cn_pmi_new_export_orders",
    "cn_pmi_manufacturing",
    "vn_exports_yoy",
    "tw_exports_yoy",
    "tw_export_orders_yoy",
)
NOWCASTERS = ("dynreg", "bridge", "dfm", "twoyear_blend", "kr_surprise")
#: indicators tried as additions in the contribution table (besides leaving out each default)
CANDIDATES = (
    "kr_exports_to_china_yoy",
    "kr_exports_first10d_yoy",
    "cn_pmi_manufacturing",
    "vn_exports_yoy",
    "cn_pmi_new_export_orders",
    "kr_exports_first20d_yoy",
)


#: ``--quick``: the test suite's run (two indicators imported, one origin per target)
QUICK_HELP = "two indicators, the last origin of each target, no contributions, one process"
QUICK_INDICATORS = ("kr_exports_yoy", "kr_exports_first20d_yoy")


def build_store(root: Path, only: tuple[str, ...] | None = None):  # noqa: ANN201 - a Service
    """A temp project root with the repo's configs and every reference indicator imported
    (``only`` those named)."""
    shutil.copytree(REPO / "configs", root / "configs")
    config = root / "configs" / "forecasting.toml"
    text = re.sub(r"(?m)^default = \[.*\]$", 'default = ["naive"]', config.read_text())
    config.write_text(text)
    os.environ["FORECASTING_CONFIG"] = str(config)
    os.environ.pop("FORECASTING_DATABASE_URL", None)
    from forecasting.service import open_service

    service = open_service()
    staging = root / "indicators"
    staging.mkdir()
    for path in sorted(REFERENCE.glob("*.csv")):
        if only is not None and path.stem not in only:
            continue
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
        rows = rows[rows["period"] >= "1995-01"]
        staged = staging / path.name
        rows.to_csv(staged, index=False)
        result = service.observations.import_csv(staged, today=date.today(), series=path.stem)
        print(f"  imported {path.stem}: {result.added} added, {result.skipped} kept from store")
    return service


def origins(observations: pd.DataFrame, start: str) -> list[dict]:
    """One nowcast task per target and month: history and exog as of the eve of release."""
    from forecasting.backtest import backtest_origins
    from forecasting.indicators import indicator_exog
    from forecasting.observations import first_release_actuals, information_set, target_history

    tasks = []
    for target in TARGETS:
        actual = first_release_actuals(observations, target)
        for origin in backtest_origins(observations, target, start, max(actual.index)):
            period = pd.Period(origin.period, freq="M")
            info = information_set(observations, origin.as_of)
            history = target_history(info, target)
            history = history.loc[: history.last_valid_index()]
            exog = indicator_exog(info, ALL_INDICATORS, period)
            tasks.append(
                {
                    "target": target,
                    "period": period,
                    "as_of": origin.as_of,
                    "actual": float(actual[origin.period]),
                    "history": history,
                    "exog": exog,
                }
            )
    return tasks


def _horizon(history: pd.Series, period: pd.Period) -> int:
    from forecasting.calendar import target_periods

    return len(target_periods(history.index[-1] + 1, period))


def _run(job: tuple[dict, str, dict]) -> dict:
    task, alias, kwargs = job
    from models.base import ModelError
    from models.registry import create_model

    out = {
        "target": task["target"],
        "period": str(task["period"]),
        "model": alias,
        "variant": kwargs.get("_variant", ""),
        "actual": task["actual"],
    }
    kwargs = {k: v for k, v in kwargs.items() if k != "_variant"}
    started = time.perf_counter()
    try:
        model = create_model(alias, **kwargs)
        h = _horizon(task["history"], task["period"])
        model.fit(task["history"], task["exog"])
        fc = model.predict(h, task["exog"]).iloc[-1]
        out.update(
            yhat=float(fc["yhat"]),
            lo80=float(fc["yhat_lo_80"]),
            hi80=float(fc["yhat_hi_80"]),
            error="",
        )
    except ModelError as exc:
        out.update(yhat=np.nan, lo80=np.nan, hi80=np.nan, error=str(exc))
    out["seconds"] = time.perf_counter() - started
    return out


def _score(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.assign(
        abs_err=(frame["yhat"] - frame["actual"]).abs(),
        covered=((frame["actual"] >= frame["lo80"]) & (frame["actual"] <= frame["hi80"])).where(
            frame["lo80"].notna()
        ),
    )
    return f.groupby(["target", "model"], sort=False).agg(
        mae=("abs_err", "mean"),
        cov80=("covered", "mean"),
        n=("yhat", "count"),
        failed=("error", lambda e: int((e != "").sum())),
        sec_per_fit=("seconds", "mean"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2019-01")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-contributions", action="store_true")
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args(argv)
    if not REFERENCE.is_dir():
        print(f"reference data not found at {REFERENCE}", file=sys.stderr)
        return 1
    if args.quick:
        args.start, args.jobs, args.no_contributions = "2026-01", 1, True
    sys.path.insert(0, str(REPO))
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        print("building the store ...")
        service = build_store(Path(tmp), QUICK_INDICATORS if args.quick else None)
        tasks = origins(service.observations.frame(), args.start)
    if args.quick:  # the last origin of each target
        tasks = [
            t
            for i, t in enumerate(tasks)
            if i + 1 == len(tasks) or tasks[i + 1]["target"] != t["target"]
        ]
    print(
        f"{len(tasks)} origins ({args.start} .. latest, both targets), "
        f"{time.perf_counter() - wall:.1f}s"
    )

    jobs = [(t, alias, {}) for t in tasks for alias in ("naive", *NOWCASTERS)]
    with Pool(args.jobs) as pool:
        results = pd.DataFrame(pool.map(_run, jobs, chunksize=4))
    wide = results.pivot_table(index=["target", "period"], columns="model", values="yhat")
    actual = results.drop_duplicates(["target", "period"])[["target", "period", "actual"]]
    means = []
    for members in (NOWCASTERS, ("dynreg", "bridge")):
        mean = wide[list(members)].mean(axis=1, skipna=True).rename("yhat").reset_index()
        means.append(
            mean.merge(actual, on=["target", "period"]).assign(
                model=f"mean({','.join(members)})",
                lo80=np.nan,
                hi80=np.nan,
                error="",
                seconds=0.0,
            )
        )
    scored = _score(pd.concat([results, *means], ignore_index=True))
    print(f"\nMAE, {args.start} .. latest (pseudo-real time, eve of each release)")
    print("consensus for comparison: exports ~4.5, imports ~4.3 (naive last print ~7.3 / ~6.1)")
    print(scored.sort_index(level=0, sort_remaining=False).round(2).to_string())
    if args.out:
        results.to_csv(args.out, index=False)

    if not args.no_contributions:
        from models.registry import model_class

        print(
            "\nIndicator contributions to the best model per target "
            "(MAE with the variant − MAE of the default; negative = the variant is better)"
        )
        for target in TARGETS:
            sub = scored.loc[target].loc[list(NOWCASTERS)]
            best = str(sub["mae"].idxmin())
            base_mae = float(sub.loc[best, "mae"])
            defaults = tuple(model_class(best)().indicators)
            variants = {f"without {i}": tuple(x for x in defaults if x != i) for i in defaults}
            for cand in CANDIDATES:
                if cand not in defaults:
                    variants[f"with {cand}"] = (*defaults, cand)
            variants["no indicators"] = ()
            target_tasks = [t for t in tasks if t["target"] == target]
            cjobs = [
                (t, best, {"indicators": inds, "_variant": name})
                for name, inds in variants.items()
                for t in target_tasks
            ]
            with Pool(args.jobs) as pool:
                cres = pd.DataFrame(pool.map(_run, cjobs, chunksize=4))
            cres["abs_err"] = (cres["yhat"] - cres["actual"]).abs()
            table = cres.groupby("variant", sort=False)["abs_err"].agg(["mean", "count"])
            table["delta_vs_default"] = table["mean"] - base_mae
            print(
                f"\n{target}: best model {best} (default indicators {defaults}), MAE {base_mae:.2f}"
            )
            print(table.rename(columns={"mean": "mae", "count": "n"}).round(2).to_string())
    print(f"\nwall time {time.perf_counter() - wall:.1f}s on {args.jobs} processes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
