"""``seasonal_naive``: the same period a year earlier (a balance's seasonal baseline).

The forecast of ``B_t`` is ``B_base(t)``: the same month last year, or for the first combined
Jan–Feb (2020-02) the sum of January and February 2019 (:mod:`models.seasonal_difference`).
Intervals are Gaussian with the root mean square of the history's changes from a year
earlier over the last ``window`` target periods (the rule's own past errors, bias included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.base import ModelError
from models.seasonal_difference import SeasonalDifferenceForecaster

__all__ = ["SeasonalNaiveForecaster"]


class SeasonalNaiveForecaster(SeasonalDifferenceForecaster):
    """``B_t = B_{t-12}`` (Jan–Feb rule), sd from the last ``window`` changes."""

    alias = "seasonal_naive"
    min_history = 15

    def __init__(self, window: int = 36) -> None:
        super().__init__()
        if window < 2:
            raise ValueError(f"window must be >= 2, got {window}")
        self.window = window

    def _fit_differences(self, d: pd.Series) -> None:
        past = d.dropna().to_numpy(dtype=float)[-self.window :]
        if len(past) < 2:
            raise ModelError(f"model {self.alias!r}: needs two changes from a year earlier")
        self._rms = float(np.sqrt(np.mean(past**2)))

    def _forecast_differences(
        self, targets: list[pd.Period], exog: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(len(targets)), np.full(len(targets), self._rms)
