"""The fixed store and range of the backtest identity test (tests/forecasting/
test_backtest_identity.py): the bundled snapshot plus two indicators made by a fixed formula,
so that every nowcast model fills gaps from several indicators, as it does on a full store.

``python -m tests.forecasting.identity_fixture`` rewrites the reference CSV from the code
checked out: run it only when a forecast is meant to change (and say so in the commit).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.snapshot_loader import SNAPSHOT_CONSENSUS, SNAPSHOT_OBSERVATIONS, snapshot_path

REFERENCE = Path(__file__).resolve().parent / "data" / "backtest_identity.csv"
#: the range and warm-up: six origins, a combined Jan–Feb and a Bloomberg poll among them
START, END, WARMUP = "2025-11", "2026-02", 3
TARGETS = ("exports_yoy", "imports_yoy")
MODELS = [
    "naive",
    "arima",
    "base_effect",
    "ets",
    "prophet",
    "ridge_ar",
    "seasonal_ratio",
    "dynreg",
    "bridge",
    "dfm",
    "twoyear_blend",
    "kr_surprise",
    "ensemble",
    "ensemble_median",
]


def _last_day(p: pd.Period) -> date:
    return p.to_timestamp(how="end").date()


def observations() -> pd.DataFrame:
    """The snapshot's figures plus ``kr_exports_first20d_yoy`` and ``cn_pmi_new_export_orders``
    made from Korea's exports by a fixed formula, with gaps every 7th and 11th month, released
    by their series' rules (21st of the month, its last day).

    Returns:
        ``series, period, value, released, source``, ``released`` as dates.
    """
    snap = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype={"period": str})
    snap["released"] = pd.to_datetime(snap["released"]).dt.date
    kr = snap[snap["series"] == "kr_exports_yoy"].sort_values("period").reset_index(drop=True)
    rows = []
    for i, r in kr.iterrows():
        p = pd.Period(r["period"], freq="M")
        wave = math.sin(i / 3.0)
        if i % 7 != 3:
            rows.append(
                (
                    "kr_exports_first20d_yoy",
                    r["period"],
                    round(0.8 * r["value"] + 3 * wave, 1),
                    date(p.year, p.month, 21),
                    "test formula",
                )
            )
        if i % 11 != 5:
            rows.append(
                (
                    "cn_pmi_new_export_orders",
                    r["period"],
                    round(48 + 0.15 * r["value"] - wave, 1),
                    _last_day(p),
                    "test formula",
                )
            )
    extra = pd.DataFrame(rows, columns=["series", "period", "value", "released", "source"])
    return pd.concat([snap, extra], ignore_index=True)


def consensus(target: str) -> pd.Series:
    """The snapshot's polls of ``target`` (period -> consensus; the first poll per period)."""
    polls = pd.read_csv(snapshot_path(SNAPSHOT_CONSENSUS), dtype={"period": str})
    polls = polls[polls["target"] == target].drop_duplicates("period")
    return polls.set_index("period")["consensus"]


def backtest(target: str, jobs: int = 1) -> pd.DataFrame:
    """The backtest of ``target`` over the fixed range, warm-up rows included, as the use
    case runs it (consensus, calibration; calibrated from 3 known errors so that the short
    range calibrates rows too)."""
    from dataclasses import replace

    from forecasting.backtest import run_backtest
    from forecasting.calibration import DEFAULT_SETTINGS

    return run_backtest(
        observations(),
        target,
        START,
        END,
        MODELS,
        jobs=jobs,
        warmup=WARMUP,
        consensus=consensus(target),
        calibration=replace(DEFAULT_SETTINGS, min_errors=3),
        keep_warmup=True,
    )


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    frames = [backtest(t) for t in TARGETS]
    pd.concat(frames, ignore_index=True).to_csv(REFERENCE, index=False)
    print(f"wrote {REFERENCE} in {time.perf_counter() - t0:.1f} s")
