"""How well the derived USD levels match every stated level (``forecasting.levels``).

    python benchmarks/levels_eval.py [--observations F.csv] [--grid] [--quick]

Not a test; run by hand (about a minute). Reads an observation CSV (default: the bundled
snapshot) and, when it exists, the reference levels beside the project
(``../shared/data/reference/china_trade_monthly.csv``), which it never copies.

1. **Leave one period out.** For every period with a stated level, both levels of that period
   are hidden (every vintage) and derived from the rest, (a) in real time: from the figures
   released up to the stated level's own release, and (b) from everything. The error against
   each stated level is summarised per sample (2014–2018, where the settings are chosen, and
   2019–latest): count, how many were derivable, MAE and max in USD bn and in %.
2. ``--grid``: the same on 2014–2018 alone (periods after 2018 dropped) for a grid of
   ``revision_sd`` and ``drift_sd``: how ``BASE_REVISION_SD`` and ``DRIFT_SD`` were chosen.
3. **Reference levels** the observations do not state (2014 on): derived vs reference.
4. **Balance vs stated levels**: every period where they disagree beyond rounding.
5. The store rows :func:`derive_levels` emits (count, vintages per level, wall time).

``--quick``: the observations from 2024 on, real time only (the test suite runs it).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "data" / "reference" / "china_trade_monthly.csv"
SNAPSHOT = ROOT / "forecasting" / "snapshot" / "china_trade_observations.csv"
sys.path.insert(0, str(ROOT))

from forecasting.balance_check import balance_discrepancies, describe_discrepancy  # noqa: E402
from forecasting.levels import (  # noqa: E402
    BASE_REVISION_SD,
    DRIFT_SD,
    LEVEL_GROWTH,
    derive_levels,
    is_derived,
    solve_levels,
)

LEVELS = list(LEVEL_GROWTH)


def read_observations(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"period": str})
    frame["released"] = pd.to_datetime(frame["released"]).dt.date
    return frame


def leave_one_period_out(
    obs: pd.DataFrame,
    *,
    real_time: bool,
    revision_sd: float = BASE_REVISION_SD,
    drift_sd: float = DRIFT_SD,
    last_period: str | None = None,
) -> pd.DataFrame:
    """One row per stated level: ``series, period, stated, derived, se`` (derived NaN when
    the rest of the data does not pin it down)."""
    if last_period is not None:
        obs = obs[obs["period"] <= last_period]
    stated = obs[obs["series"].isin(LEVELS) & ~obs["source"].map(is_derived)]
    stated = stated.sort_values("released").drop_duplicates(["series", "period"])
    rows = []
    for period, group in stated.groupby("period"):
        rest = obs[~(obs["series"].isin(LEVELS) & (obs["period"] == period))]
        until: date | None = group["released"].min() if real_time else None
        solved = solve_levels(rest, until, revision_sd=revision_sd, drift_sd=drift_sd)
        solved = solved.set_index(["series", "period"])
        for series, value in zip(group["series"], group["value"], strict=True):
            hit = (series, period) in solved.index
            rows.append(
                {
                    "series": series,
                    "period": period,
                    "stated": float(value),
                    "derived": solved.loc[(series, period), "value"] if hit else np.nan,
                    "se": solved.loc[(series, period), "se"] if hit else np.nan,
                }
            )
    return pd.DataFrame(rows)


def summary(errors: pd.DataFrame) -> dict[str, float]:
    err = errors["derived"] - errors["stated"]
    pct = 100 * err / errors["stated"]
    ok = err.notna()
    return {
        "stated": len(errors),
        "derived": int(ok.sum()),
        "MAE_bn": float(err.abs().mean()) if ok.any() else np.nan,
        "max_bn": float(err.abs().max()) if ok.any() else np.nan,
        "MAE_pct": float(pct.abs().mean()) if ok.any() else np.nan,
        "max_pct": float(pct.abs().max()) if ok.any() else np.nan,
        "z_rms": float(np.sqrt(np.mean((err[ok] / errors.loc[ok, "se"]) ** 2)))
        if ok.any()
        else np.nan,
    }


def by_sample(errors: pd.DataFrame) -> pd.DataFrame:
    samples = {
        "2014-2018": errors["period"] <= "2018-12",
        "2019-latest": errors["period"] >= "2019-01",
        "all": errors["period"].notna(),
    }
    return pd.DataFrame({k: summary(errors[m]) for k, m in samples.items()}).T.round(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=Path, default=SNAPSHOT)
    parser.add_argument("--grid", action="store_true", help="the 2014-2018 settings grid")
    parser.add_argument("--details", action="store_true", help="every stated level's error")
    parser.add_argument(
        "--quick", action="store_true", help="the observations from 2024 on, real time only"
    )
    args = parser.parse_args(argv)
    obs = read_observations(args.observations)
    if args.quick:
        obs = obs[obs["period"] >= "2024-01"].reset_index(drop=True)
        args.grid = False
    print(f"observations: {args.observations} ({len(obs)} rows)")
    print(f"settings: revision_sd {BASE_REVISION_SD}, drift_sd {DRIFT_SD}")

    for real_time in (True,) if args.quick else (True, False):
        errors = leave_one_period_out(obs, real_time=real_time)
        label = (
            "real time (figures released up to the level's release)"
            if real_time
            else ("full information (every other figure)")
        )
        print(f"\n1. leave one period out, {label}:")
        print(by_sample(errors).to_string())
        if args.details:
            errors["error"] = (errors["derived"] - errors["stated"]).round(2)
            print(errors.round(2).to_string(index=False))

    if args.grid:
        print("\n2. settings grid on 2014-2018 alone (full information within it):")
        grid = []
        for drift_sd in (0.0, 0.003, 0.01):
            for revision_sd in (0.003, 0.005, 0.007, 0.01, 0.015):
                e = leave_one_period_out(
                    obs,
                    real_time=False,
                    revision_sd=revision_sd,
                    drift_sd=drift_sd,
                    last_period="2018-12",
                )
                grid.append({"drift_sd": drift_sd, "revision_sd": revision_sd, **summary(e)})
        print(pd.DataFrame(grid).round(3).to_string(index=False))

    solved = solve_levels(obs)
    drift = {k: round(100 * v, 3) for k, v in solved.attrs["drift"].items()}
    print(f"\nestimated mean base revision per growth link (%): {drift}")
    if REFERENCE.exists():
        ref = pd.read_csv(REFERENCE, dtype={"period": str}).set_index("period")
        derived = solved[~solved["stated"]].set_index(["series", "period"])["value"]
        rows = []
        for (series, period), value in derived.items():
            if period >= "2014-01" and period in ref.index and pd.notna(ref.loc[period, series]):
                rows.append(
                    {
                        "series": series,
                        "period": period,
                        "reference": ref.loc[period, series],
                        "derived": round(value, 2),
                        "error": round(value - ref.loc[period, series], 2),
                        "error_pct": round(100 * (value / ref.loc[period, series] - 1), 2),
                    }
                )
        print("\n3. reference levels not stated in the observations (derived from everything):")
        print(pd.DataFrame(rows).to_string(index=False) if rows else "none")
    else:
        print(f"\n3. reference levels: {REFERENCE} not found, skipped")

    print("\n4. balance vs stated levels, beyond rounding:")
    bad = balance_discrepancies(obs)
    print("\n".join(describe_discrepancy(r) for r in bad.to_dict("records")) or "none")

    t0 = time.perf_counter()
    rows = derive_levels(obs)
    seconds = time.perf_counter() - t0
    per = rows.groupby(["series", "period"]).size()
    print(
        f"\n5. derive_levels: {len(rows)} rows for {len(per)} levels "
        f"({per.mean():.1f} vintages on average, at most {per.max()}), {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
