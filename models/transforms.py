"""The y/y transforms the models share (pure): log growth and back, log y/y clipped above
-100%, log two-year growth, and a history on a complete monthly grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.periods import is_target_period

__all__ = [
    "YOY_FLOOR",
    "filled_history",
    "from_log_growth",
    "log_growth",
    "log_two_year_growth",
    "log_yoy",
]

#: y/y values are clipped above -100% before taking logs (a -100% y/y means no trade at all).
YOY_FLOOR = -99.0


def filled_history(history: pd.Series) -> pd.Series:
    """History on a complete monthly grid for models that cannot skip months.

    A combined Jan–Feb figure (from 2020) stands for both months: January takes the ``YYYY-02``
    value. Other gaps are linearly interpolated (and edge gaps carried). Pure: returns a copy.
    """
    filled = history.astype(float).copy()
    for period in filled.index:
        if not is_target_period(period) and pd.isna(filled.loc[period]):
            feb = period + 1
            if feb in filled.index:
                filled.loc[period] = filled.loc[feb]
    if filled.isna().any():
        filled = pd.Series(filled.to_numpy(), index=filled.index, name=filled.name).interpolate(
            limit_direction="both"
        )
    return filled


def log_growth(yoy: pd.Series) -> pd.Series:
    """A y/y growth rate in % as 100 × the log growth rate: ``100·log(1 + y/100)``."""
    return 100.0 * np.log1p(yoy.astype(float) / 100.0)


def from_log_growth(log_rate: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`log_growth`: ``100·(exp(l/100) − 1)``."""
    return 100.0 * np.expm1(np.asarray(log_rate, dtype=float) / 100.0)


def log_yoy(yoy: object) -> np.ndarray:
    """``log(1 + g/100)`` of y/y values ``g`` clipped at :data:`YOY_FLOOR` (no ×100)."""
    return np.log1p(np.maximum(np.asarray(yoy, dtype=float), YOY_FLOOR) / 100.0)


def log_two_year_growth(yoy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log(1+g/100) for every month, z = log two-year growth from month 13 on)."""
    log_g = log_yoy(yoy)
    return log_g, log_g[12:] + log_g[:-12]
