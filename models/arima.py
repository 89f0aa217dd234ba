"""``arima``: a seasonal-MA ARIMA on the y/y series, order chosen by AIC over a small grid.

A y/y growth series carries a seasonal moving-average signature at lag 12: a one-off shock in
month ``t`` raises ``g_t`` and, as a base effect, lowers ``g_{t+12}``. The grid is therefore
``(p, 0, q) x (0, 0, Q)_12`` with ``p in 0..2``, ``q in 0..1``, ``Q in 0..1``, all with a
constant (12 candidates).

Fitting 12 candidates by exact maximum likelihood costs ~0.3 s, too slow for a backtest that
refits at every origin. So each candidate is fitted by conditional sum of squares (CSS, the
usual approximation, as in R's ``auto.arima``; MINPACK on an ``lfilter`` recursion, ~2 ms per
candidate) on the filled monthly grid and the order with the lowest CSS-AIC is kept. Then:

* ``method="css"`` (default): the CSS estimates are put into statsmodels ``SARIMAX`` and run
  through its exact Kalman filter on the raw history (the NaN combined Januaries are skipped
  by the filter; the innovation variance is concentrated out), ~40 ms in all;
* ``method="mle"``: the chosen order is refitted by exact Gaussian maximum likelihood, warm
  started from CSS, ~120 ms in all. On 2019–2025 one-step forecasts of exports/imports y/y the
  two are equally accurate (MAE 5.26 vs 5.45 and 5.00 vs 4.98).

If the CSS autoregression is not stationary, the model falls back to the exact MLE fit.
Intervals come from ``SARIMAX``'s ``get_forecast``.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError, PointForecast, filled_history, lowest_aic

__all__ = ["ArimaForecaster", "ORDER_GRID"]

#: (p, q, Q): ARMA(p, q) with a seasonal MA(Q) at lag 12, always with a constant.
ORDER_GRID: tuple[tuple[int, int, int], ...] = tuple(
    (p, q, seasonal_q) for seasonal_q in (0, 1) for p in range(3) for q in range(2)
)

_SEASON = 12
#: residuals dropped before the CSS sum of squares (the MA recursions start from zeros; the
#: seasonal MA needs a year to forget them). The same for every candidate so AICs compare.
_CSS_BURN_IN = 14


class ArimaForecaster(Forecaster):
    """SARIMAX(p,0,q)x(0,0,Q,12) with constant; order by CSS-AIC; CSS or exact-MLE parameters."""

    alias = "arima"
    imports = ("scipy.optimize", "scipy.signal", "statsmodels.tsa.statespace.sarimax")
    min_history = 36

    def __init__(
        self,
        grid: tuple[tuple[int, int, int], ...] = ORDER_GRID,
        method: Literal["css", "mle"] = "css",
    ) -> None:
        super().__init__()
        if method not in ("css", "mle"):
            raise ValueError(f"method must be 'css' or 'mle', got {method!r}")
        self.grid = tuple(grid)
        self.method = method
        self.order: tuple[int, int, int] | None = None
        self.params: np.ndarray | None = None
        self._result: Any = None

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        y_filled = filled_history(history).to_numpy()
        if np.nanstd(y_filled) == 0:
            raise ModelError("model 'arima': constant history")
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            best = lowest_aic(self.grid, lambda order: _css_fit(y_filled, *order))
        if best is None:
            raise ModelError("model 'arima': no candidate order could be fitted")
        (p, q, seasonal_q), css_params = best
        self.order = (p, q, seasonal_q)

        model = _sarimax(history, self.order)
        start = _sarimax_start_params(css_params, p)
        # cov_type="none": the forecasts do not use the parameters' covariance (statsmodels
        # would compute it from numerical derivatives on every fit and filter)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = None
            if self.method == "css" and start is not None:
                try:
                    result = model.filter(start, cov_type="none")
                except (ValueError, np.linalg.LinAlgError):
                    result = None
            if result is None:
                try:
                    result = model.fit(start_params=start, disp=False, cov_type="none")
                except (ValueError, np.linalg.LinAlgError):
                    if start is None:
                        raise
                    result = model.fit(disp=False, cov_type="none")
        if not np.all(np.isfinite(result.params)):
            raise ModelError("model 'arima': non-finite parameter estimates")
        self.params = np.asarray(result.params, dtype=float)
        self._result = result

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        if self._result is None:  # unpickled: re-run the Kalman filter at the fitted parameters
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._result = _sarimax(self._history, self.order).filter(
                    self.params, cov_type="none"
                )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self._result.get_forecast(steps)
        mean = np.asarray(fc.predicted_mean, dtype=float)
        sd = np.sqrt(np.asarray(fc.var_pred_mean, dtype=float))
        return PointForecast(mean=mean, sd=sd)

    def __getstate__(self) -> dict[str, Any]:
        # SARIMAX results hold every filtered covariance (~2 MB); order + params suffice
        state = self.__dict__.copy()
        state["_result"] = None
        return state


def _sarimax(history: pd.Series, order: tuple[int, int, int]) -> Any:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    p, q, seasonal_q = order
    return SARIMAX(
        history.to_numpy(dtype=float),
        order=(p, 0, q),
        seasonal_order=(0, 0, seasonal_q, _SEASON),
        trend="c",
        concentrate_scale=True,
    )


def _css_fit(y: np.ndarray, p: int, q: int, seasonal_q: int) -> tuple[float, np.ndarray]:
    """Conditional-sum-of-squares fit; returns (AIC, [mean, ar.., ma.., sma..]).

    MA coefficients are optimised through ``tanh`` so that they stay invertible without
    bounds, which lets MINPACK's Levenberg–Marquardt (``leastsq``, finite differences in
    Fortran) do the work.
    """
    from scipy.optimize import leastsq
    from scipy.signal import lfilter

    n_ma = q + seasonal_q

    def unpack(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        mu = theta[0]
        ar = np.empty(p + 1)  # [1, -phi...] (np.r_ took a third of the fit's own time)
        ar[0], ar[1:] = 1.0, -theta[1 : 1 + p]
        ma = np.empty(q + 1)
        ma[0], ma[1:] = 1.0, np.tanh(theta[1 + p : 1 + p + q])
        if seasonal_q:
            seasonal = np.zeros(_SEASON + 1)
            seasonal[0] = 1.0
            seasonal[_SEASON] = np.tanh(theta[1 + p + q])
            ma = np.convolve(ma, seasonal)
        return mu, ar, ma

    def residuals(theta: np.ndarray) -> np.ndarray:
        mu, ar, ma = unpack(theta)
        return lfilter(ar, ma, y - mu)[_CSS_BURN_IN:]

    x0 = np.r_[np.mean(y), [0.5] if p else [], np.zeros(max(p - 1, 0)), np.zeros(n_ma)]
    x, *_ = leastsq(residuals, x0)
    resid = residuals(x)
    n = resid.size
    ssr = float(resid @ resid)
    if n <= len(x0) + 1 or not ssr > 0:
        return np.inf, x
    aic = n * np.log(ssr / n) + 2 * (len(x0) + 1)
    params = np.array(x, dtype=float)
    params[1 + p :] = np.tanh(params[1 + p :])
    return float(aic), params


def _sarimax_start_params(css_params: np.ndarray, p: int) -> np.ndarray | None:
    """CSS estimates in SARIMAX's order (intercept, ar, ma, sma), or None if not stationary."""
    phi = css_params[1 : 1 + p]
    if p and np.any(np.abs(np.roots(np.r_[1.0, -phi])) >= 0.98):
        return None
    intercept = css_params[0] * (1.0 - phi.sum())
    return np.r_[intercept, css_params[1:]]
