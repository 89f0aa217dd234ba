"""``dynreg``: regression with ARMA errors (SARIMAX) on the same-month leading indicators.

The target y/y is regressed on the indicators released for the same month (the columns of the
``exog`` frame built by :func:`forecasting.indicators.indicator_exog`; the exog contract and
the indicator choice are those of :mod:`models.nowcast`); the residual follows an ARMA(1,1)
(or the lowest-AIC order of a given grid), and the target's own value twelve months back
enters as a regressor (the base effect). Intervals come from the state-space model.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.arma_regression import ArmaRegression, fit_arma_regression, supports_order
from models.base import ModelError, PointForecast, lowest_aic
from models.nowcast import (
    DEFAULT_CALENDAR,
    DEFAULT_INDICATORS,
    NowcastForecaster,
    calendar_block,
    combined_january_filled,
    lag12_with_jan_feb,
)

__all__ = ["DynamicRegressionForecaster"]


class DynamicRegressionForecaster(NowcastForecaster):
    """Regression with ARMA errors: the target y/y on the same-month indicators and
    ``y_{t-12}``.

    Regressors: each used indicator (module docstring), the target twelve months back
    (the base effect; Jan–Feb rule of :func:`lag12_with_jan_feb`) and the ``calendar``
    regressors (:func:`calendar_block`; :data:`DEFAULT_CALENDAR`; a month to forecast outside
    China's published holiday schedule is a ModelError naming its first day). The errors are
    ARMA(1,1) by default (with several ``orders`` the lowest AIC wins; a ``d = 1`` order drops the
    constant). The fitted AR root is typically near one with a negative MA term: China runs
    persistently above or below what Korea implies, and the errors carry that. (In the
    2019–2026 backtest the fixed ARMA(1,1) beat an AIC choice among AR(1), ARMA(1,1), AR(2)
    slightly and is three times faster.)
    History months where a regressor is missing are treated as missing observations of the
    target (the Kalman filter skips them). Without usable indicators the model is the same
    regression on ``y_{t-12}`` alone. Intervals: the state-space forecast sd.

    Estimation: exact maximum likelihood with the coefficients and the variance concentrated
    out (:mod:`models.arma_regression`, ~7 ms a fit) for ARMA orders up to (1, 0, 1); other
    orders go to statsmodels' SARIMAX (``maxiter`` iterations). Until 2026-12 every order
    went to SARIMAX with ``maxiter=50``, which stopped short of the maximum at every origin
    checked; forecasts moved by up to ~0.2 pp (docs/evaluation.md reports the effect).

    Forecasts more than 12 months past the history are not supported (``y_{t-12}`` would
    itself be a forecast). (Modelling the two-year log growth ``l_t + l_{t-12}`` instead was
    tried and was worse in the 2019–2026 backtest: exports MAE 7.3, imports 4.3.)
    """

    alias = "dynreg"
    imports = (
        *NowcastForecaster.imports,
        "statsmodels.tools.sm_exceptions",
        "statsmodels.tsa.statespace.sarimax",
    )

    @classmethod
    def prepare(cls) -> None:
        """The imports and the ARMA filter compiled (or loaded from numba's cache)."""
        from models.arma_regression import compile_filter

        super().prepare()
        compile_filter()

    def __init__(
        self,
        indicators: Sequence[str] = DEFAULT_INDICATORS,
        orders: Sequence[tuple[int, int, int]] = ((1, 0, 1),),
        min_overlap: int = 24,
        maxiter: int = 50,
        calendar: Sequence[str] = DEFAULT_CALENDAR,
    ) -> None:
        super().__init__()
        self.indicators = tuple(indicators)
        self.calendar = tuple(calendar)
        self.orders = tuple(tuple(o) for o in orders)
        self.min_overlap = min_overlap
        self.maxiter = maxiter
        self.order: tuple[int, int, int] | None = None

    # -- design ----------------------------------------------------------------------------
    def _regressors(self, y: pd.Series, frame: pd.DataFrame) -> pd.DataFrame:
        x = frame.assign(target_lag12=lag12_with_jan_feb(y.reindex(frame.index)))
        if self.calendar:
            cal = calendar_block(frame.index, self.calendar, self._history.index[-1])
            x = pd.concat([x, cal], axis=1)
        return combined_january_filled(x)

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        inputs = self._select_inputs(history, exog)
        grid = inputs.frame.index
        x = self._regressors(history.reindex(grid), inputs.frame).loc[: history.index[-1]]
        z = history.copy()
        z[x.isna().any(axis=1)] = np.nan
        x = x.fillna(0.0)
        n_obs = int(z.notna().sum())
        if n_obs < self.min_history - 12:
            raise ModelError(
                f"model {self.alias!r}: only {n_obs} months have the target, its value a "
                "year earlier and every regressor; too few to fit"
            )
        self._xcols = list(x.columns)
        if all(supports_order(o) for o in self.orders):
            best = lowest_aic(self.orders, lambda o: _exact_fit(z.to_numpy(), x.to_numpy(), o))
        else:
            best = self._sarimax_fit(z, x)
        if best is None:
            raise ModelError(f"model {self.alias!r}: no ARMA order could be estimated")
        self.order, self._res = best

    def _sarimax_fit(self, z: pd.Series, x: pd.DataFrame) -> tuple[Any, Any] | None:
        """The orders :func:`models.arma_regression.supports_order` refuses (``d = 1``, ``p``
        or ``q`` over one): statsmodels' SARIMAX, the lowest AIC."""
        from statsmodels.tools.sm_exceptions import ConvergenceWarning
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        def fit(candidate: tuple[tuple[int, int, int], Any]) -> tuple[float, Any]:
            # no parameter covariance: the forecasts and the AIC do not use it
            res = candidate[1].fit(disp=False, maxiter=self.maxiter, cov_type="none")
            return res.aic, res

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            # built before the AIC loop: an error building a model is raised, not skipped
            built = [
                (
                    order,
                    SARIMAX(
                        z.to_numpy(),
                        exog=x.to_numpy(),
                        order=order,
                        trend="c" if order[1] == 0 else "n",
                    ),
                )
                for order in self.orders
            ]
            best = lowest_aic(built, fit)
        return None if best is None else (best[0][0], best[1])

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        periods, frame, grid = self._forecast_inputs(steps, exog)
        y_grid = self._history.reindex(grid)
        x = self._regressors(y_grid, frame.reindex(grid)).loc[periods, self._xcols]
        if x.isna().to_numpy().any():
            bad = [str(p) for p in x.index[x.isna().any(axis=1)]]
            raise ModelError(
                f"model {self.alias!r}: regressors missing for {bad} (an unreleased "
                "indicator, or y_{t-12} beyond the history: at most 12 months ahead)"
            )
        if isinstance(self._res, ArmaRegression):
            mean, sd = self._res.forecast(x.to_numpy())
            return PointForecast(mean=mean, sd=sd)
        fc = self._res.get_forecast(steps=steps, exog=x.to_numpy())
        mean = np.asarray(fc.predicted_mean, dtype=float)
        sd = np.sqrt(np.asarray(fc.var_pred_mean, dtype=float))
        return PointForecast(mean=mean, sd=sd)


def _exact_fit(z: np.ndarray, x: np.ndarray, order: tuple[int, int, int]) -> tuple[float, Any]:
    res = fit_arma_regression(z, x, order)
    return res.aic, res
