"""``ets``: exponential smoothing on the y/y series, simple or damped trend, chosen by AIC.

Fits statsmodels ``ETSModel`` with additive errors on the filled monthly grid
(:func:`models.base.filled_history`) for each candidate specification — by default simple
exponential smoothing ``ETS(A,N,N)`` and additive damped trend ``ETS(A,Ad,N)`` — and keeps the
lowest AIC. No seasonal component: a y/y series has already removed the seasonal level.
Both candidates are linear, so ``get_prediction`` gives exact (analytical) predictive variances.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError, PointForecast, filled_history, lowest_aic

__all__ = ["EtsForecaster", "ETS_CANDIDATES"]

#: short name -> ETSModel keyword arguments (error is always additive).
ETS_CANDIDATES: dict[str, dict[str, object]] = {
    "ANN": {"trend": None},
    "AAdN": {"trend": "add", "damped_trend": True},
}


class EtsForecaster(Forecaster):
    """Additive-error ETS without seasonality; specification chosen by AIC."""

    alias = "ets"
    imports = ("statsmodels.tsa.exponential_smoothing.ets",)
    min_history = 24

    def __init__(self, candidates: tuple[str, ...] = tuple(ETS_CANDIDATES)) -> None:
        super().__init__()
        unknown = [c for c in candidates if c not in ETS_CANDIDATES]
        if unknown or not candidates:
            raise ValueError(f"unknown ETS candidates {unknown}; known: {list(ETS_CANDIDATES)}")
        self.candidates = tuple(candidates)
        self.spec: str | None = None
        self._result = None

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        # a Series on a RangeIndex: statsmodels' get_prediction needs an indexed endog
        y = pd.Series(filled_history(history).to_numpy(dtype=float))
        errors: list[str] = []

        def fit(name: str) -> tuple[float, Any]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = ETSModel(y, error="add", **ETS_CANDIDATES[name]).fit(disp=False)
            return result.aic, result

        best = lowest_aic(self.candidates, fit, lambda name, exc: errors.append(f"{name}: {exc}"))
        if best is None:
            raise ModelError(f"model {self.alias!r}: no ETS candidate could be fitted {errors}")
        self.spec, self._result = best

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        nobs = len(self._history)  # the filled grid the model was fitted on
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self._result.get_prediction(start=nobs, end=nobs + steps - 1)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        sd = np.sqrt(np.asarray(pred.var_pred_mean, dtype=float))
        return PointForecast(mean=mean, sd=sd)
