"""``ridge_ar``: direct ridge autoregressions on y/y lags and two-year growth, one per step.

Why: monthly China trade y/y growth is a noisy, persistent series with strong base effects.
A random walk (``naive``) throws away the information in last year's print (a high ``g_{t-12}``
means a low base next month is already used up), while univariate time-series models impose
one structure on all horizons. A small regression that sees both the recent path and the
base does better out of sample (see ``benchmarks/model_speed.py``).

For each step ``k`` (1..steps) a separate ("direct") ridge regression predicts ``y_{t+k}``
from information at origin ``t`` on the filled monthly grid (:func:`models.base.
filled_history`):

* y/y growth ``y_t, y_{t-1}, y_{t-2}`` (the recent path) and ``y_{t-11}, y_{t-12}`` (last
  year's prints of the one-step target month and of the origin month: the base effect);
* the log two-year growth ``z_t, z_{t-1}, z_{t-2}`` (in %), the base-effect-free level.

Features are standardised; the ridge penalty is chosen per step by exact leave-one-out error
over a log grid (closed form through the SVD, no refits). The predictive sd of step ``k`` is
the root mean squared leave-one-out residual of that step's regression (Gaussian intervals).
Steps whose regression would have fewer than ``min_rows`` training rows fall back to the
history's mean and sd (what a direct regression converges to at long horizons).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.base import Forecaster, PointForecast, filled_history, log_two_year_growth

__all__ = ["RidgeArForecaster"]

#: lags of y (1 = the origin month itself) used as features.
Y_LAGS: tuple[int, ...] = (1, 2, 3, 12, 13)
#: lags of the two-year growth z (0 = the origin month).
Z_LAGS: tuple[int, ...] = (0, 1, 2)
ALPHAS: np.ndarray = np.logspace(-1, 3, 13)
_SEASON = 12


class RidgeArForecaster(Forecaster):
    """Per-horizon ridge regression on y/y lags 1,2,3,12,13 and two-year growth lags 0..2."""

    alias = "ridge_ar"
    min_history = 36

    def __init__(self, min_rows: int = 20) -> None:
        super().__init__()
        self.min_rows = min_rows
        self._cache: dict[int, tuple[float, float]] = {}

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        y = filled_history(history).to_numpy(dtype=float)
        z = np.full_like(y, np.nan)
        z[_SEASON:] = 100.0 * log_two_year_growth(y)[1]
        first = max(max(Y_LAGS) - 1, _SEASON + max(Z_LAGS))
        origins = np.arange(first, y.size)
        feats = np.column_stack(
            [y[origins - (lag - 1)] for lag in Y_LAGS] + [z[origins - lag] for lag in Z_LAGS]
        )
        self._y = y
        self._features = feats  # row i: features at origin origins[i]
        self._origins = origins
        self._cache = {}

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        mean = np.empty(steps)
        sd = np.empty(steps)
        for k in range(1, steps + 1):
            mean[k - 1], sd[k - 1] = self._step(k)
        return PointForecast(mean=mean, sd=sd)

    def _step(self, k: int) -> tuple[float, float]:
        if k in self._cache:
            return self._cache[k]
        y, feats, origins = self._y, self._features, self._origins
        usable = origins + k < y.size
        rows = int(usable.sum())
        if rows < self.min_rows:
            out = (float(np.mean(y)), float(np.std(y, ddof=1)))
        else:
            out = _ridge_loo(feats[usable], y[origins[usable] + k], feats[-1])
        self._cache[k] = out
        return out


def _ridge_loo(x: np.ndarray, target: np.ndarray, x_new: np.ndarray) -> tuple[float, float]:
    """Ridge prediction at ``x_new`` with the LOO-best penalty; (prediction, LOO RMSE)."""
    mu = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    xs = (x - mu) / scale
    xs_new = (x_new - mu) / scale
    y_mean = target.mean()
    yc = target - y_mean
    n = xs.shape[0]
    u, s, vt = np.linalg.svd(xs, full_matrices=False)
    uty = u.T @ yc
    best: tuple[float, float] | None = None
    for alpha in ALPHAS:
        shrink = s**2 / (s**2 + alpha)
        fitted = u @ (shrink * uty)
        hat = 1.0 / n + (u**2) @ shrink
        loo = (yc - fitted) / (1.0 - hat)
        mse = float(np.mean(loo**2))
        if best is None or mse < best[0]:
            coef = vt.T @ (s / (s**2 + alpha) * uty)
            best = (mse, float(y_mean + xs_new @ coef))
    assert best is not None
    return best[1], float(np.sqrt(best[0]))
