"""``naive``: the last print carries forward; the baseline every model is measured against."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.base import Forecaster, PointForecast

__all__ = ["NaiveForecaster"]


class NaiveForecaster(Forecaster):
    """Random walk on the target series; interval widths from the history's one-step changes.

    The k-step-ahead sd is ``sigma * sqrt(k)`` with ``sigma`` the sd of month-on-month changes
    of the target-period series (a combined Jan–Feb counts as one step).
    """

    alias = "naive"
    min_history = 3
    #: the last print is a baseline for any series (for a balance: the last month's balance)
    series_kinds = frozenset({"yoy", "balance"})

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        values = history.dropna().to_numpy()
        self._last = float(values[-1])
        self._sigma = float(np.std(np.diff(values), ddof=1))

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        k = np.arange(1, steps + 1)
        return PointForecast(mean=np.full(steps, self._last), sd=self._sigma * np.sqrt(k))
