"""``base_effect``: forecast the two-year growth, then divide out last year's base.

Economists read a y/y series through its two-year (stacked) growth
``(1 + g_t/100)(1 + g_{t-12}/100)``, which is free of the base effect: a collapse in month
``t-12`` inflates ``g_t`` but not the two-year growth. This model works on its log,
``z_t = log(1 + g_t/100) + log(1 + g_{t-12}/100)``, on the filled monthly grid
(:func:`models.base.filled_history`; a combined Jan–Feb figure stands for both months):

* ``z`` follows an AR(p) with constant, ``p in 1..3`` chosen by AIC on a common sample,
  estimated by least squares;
* the forecast is converted back by ``g_t = 100 * (exp(z_t - log(1 + g_{t-12}/100)) - 1)``;
  beyond 12 steps the model's own forecasts of ``g_{t-12}`` are used.

Intervals are simulated: ``n_paths`` Gaussian AR paths of ``z`` (innovation sd from the
residuals, inflated for the estimated parameters' degrees of freedom) go through the same
back-conversion, so the interval reflects that ``g_{t-12}`` is itself uncertain beyond a year.
The random generator is seeded: forecasts are deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.base import (
    YOY_FLOOR,
    Forecaster,
    ModelError,
    PointForecast,
    filled_history,
    log_two_year_growth,
    lowest_aic,
)

__all__ = ["BaseEffectForecaster", "log_two_year_growth"]  # the latter re-exported from base

_SEASON = 12
#: bounds of the simulated log y/y: y/y in [YOY_FLOOR %, +9900%].
_LOG_MIN, _LOG_MAX = np.log1p(YOY_FLOOR / 100.0), np.log(100.0)


class BaseEffectForecaster(Forecaster):
    """AR(p) on the log two-year growth, converted back to y/y growth."""

    alias = "base_effect"
    min_history = 36

    def __init__(self, max_lag: int = 3, n_paths: int = 1000, seed: int = 0) -> None:
        super().__init__()
        if max_lag < 1:
            raise ValueError("max_lag must be >= 1")
        self.max_lag = max_lag
        self.n_paths = n_paths
        self.seed = seed
        self.lag: int | None = None

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        log_g, z = log_two_year_growth(filled_history(history).to_numpy())
        if z.size < self.max_lag + 10:
            raise ModelError(f"model {self.alias!r}: too short a history for the two-year growth")

        def fit(p: int) -> tuple[float, tuple[np.ndarray, float]]:
            # every candidate is fitted on the same sample (the first max_lag values held back)
            coef, resid = _ols_ar(z[self.max_lag - p :], p)
            n = resid.size
            ssr = float(resid @ resid)
            if ssr <= 0:
                ssr = 1e-12
            aic = n * np.log(ssr / n) + 2 * (p + 2)
            return aic, (coef, float(np.sqrt(ssr / max(n - p - 1, 1))))

        best = lowest_aic(range(1, self.max_lag + 1), fit)
        if best is None:
            raise ModelError(f"model {self.alias!r}: no AR order could be fitted")
        self.lag, (self._coef, self._sigma) = best
        self._log_g = log_g
        self._z = z

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        p, coef = self.lag, self._coef
        rng = np.random.default_rng(self.seed)
        shocks = rng.standard_normal((steps, self.n_paths)) * self._sigma
        # column 0: the conditional-mean path (no shocks); columns 1..: simulated paths
        shocks = np.concatenate([np.zeros((steps, 1)), shocks], axis=1)
        z_hist = np.repeat(self._z[-p:, None], shocks.shape[1], axis=1)
        g_hist = np.repeat(self._log_g[-_SEASON:, None], shocks.shape[1], axis=1)
        z_path = list(z_hist)
        log_g_path = list(g_hist)
        out = np.empty((steps, shocks.shape[1]))
        for k in range(steps):
            z_next = coef[0] + sum(coef[j + 1] * z_path[-j - 1] for j in range(p)) + shocks[k]
            z_path.append(z_next)
            # clipped to y/y in [-99%, +9900%] so explosive simulated paths stay finite
            log_g_next = np.clip(z_next - log_g_path[-_SEASON], _LOG_MIN, _LOG_MAX)
            log_g_path.append(log_g_next)
            out[k] = 100.0 * np.expm1(log_g_next)
        return PointForecast(mean=out[:, 0], samples=out[:, 1:])


def _ols_ar(z: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares AR(p) with constant: (coefficients [c, a_1..a_p], residuals)."""
    n = z.size
    design = np.column_stack([np.ones(n - p)] + [z[p - j - 1 : n - j - 1] for j in range(p)])
    target = z[p:]
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return coef, target - design @ coef
