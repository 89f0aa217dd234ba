"""The balance against the stated levels: every period where ``exports − imports`` differs from
the stated balance by more than their rounding allows (which row, by how much)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from forecasting.levels import input_rows, latest_rows
from forecasting.levels_solver import (
    BALANCE_SERIES,
    EXPORTS_LEVEL,
    IMPORTS_LEVEL,
    rounding_halfwidth,
)

__all__ = ["DISCREPANCY_COLUMNS", "balance_discrepancies", "describe_discrepancy"]

DISCREPANCY_COLUMNS = (
    "period",
    "exports_usd_bn",
    "imports_usd_bn",
    "balance_usd_bn",
    "implied_balance",
    "difference",
    "tolerance",
    "released",
)


def balance_discrepancies(observations: pd.DataFrame) -> pd.DataFrame:
    """Periods whose balance disagrees with their stated levels by more than rounding.

    Uses the latest vintage of each stated figure (derived rows are ignored). The tolerance
    of a period is the sum of the three figures' rounding half-widths
    (:func:`rounding_halfwidth`); e.g. ``213.92 − 172.18 = 41.74`` against a balance of
    ``41.65`` is off by 0.09 where rounding allows 0.015.

    Returns:
        DataFrame with columns ``period, exports_usd_bn, imports_usd_bn, balance_usd_bn,
        implied_balance, difference (balance − implied), tolerance, released`` (the latest of
        the three figures' release dates), one row per disagreeing period, sorted by period.
    """
    rows = latest_rows(input_rows(observations))
    wide = rows.pivot_table(index="period", columns="series", values="value", aggfunc="last")
    dates = rows.pivot_table(index="period", columns="series", values="released", aggfunc="last")
    need = [EXPORTS_LEVEL, IMPORTS_LEVEL, BALANCE_SERIES]
    if any(c not in wide for c in need):
        return pd.DataFrame(columns=list(DISCREPANCY_COLUMNS))
    wide = wide.loc[:, need].dropna()
    out: list[dict[str, object]] = []
    for period, x, m, b in wide.itertuples():
        implied = x - m
        tolerance = sum(rounding_halfwidth(v) for v in (x, m, b))
        difference = b - implied
        if abs(difference) > tolerance + 1e-9:
            out.append(
                {
                    "period": period,
                    EXPORTS_LEVEL: x,
                    IMPORTS_LEVEL: m,
                    BALANCE_SERIES: b,
                    "implied_balance": round(implied, 6),
                    "difference": round(difference, 6),
                    "tolerance": round(tolerance, 6),
                    "released": max(dates.loc[period, need]),
                }
            )
    return pd.DataFrame(out, columns=list(DISCREPANCY_COLUMNS))


def describe_discrepancy(row: Mapping[str, object] | pd.Series) -> str:
    """One line for a :func:`balance_discrepancies` row, e.g. ``2019-05: balance 41.65 but
    exports 213.92 − imports 172.18 = 41.74 (off by -0.09 USD bn; rounding allows ±0.015)``."""
    return (
        f"{row['period']}: balance {row[BALANCE_SERIES]:g} but exports {row[EXPORTS_LEVEL]:g} "
        f"− imports {row[IMPORTS_LEVEL]:g} = {row['implied_balance']:g} (off by "
        f"{row['difference']:+.3g} USD bn; rounding allows ±{row['tolerance']:g})"
    )
