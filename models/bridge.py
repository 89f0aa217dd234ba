"""``bridge``: a ridge bridge regression of the target on indicators and its own past.

A direct regression of the month's y/y (as a log growth rate, ``100·log(1 + y/100)``) on

- each used indicator for the same month (``*_yoy`` indicators as log growth, indexes as is),
- the target's recent level: an exponentially weighted mean of its past prints for each
  smoothing weight in ``memory`` (default 0.3; 1.0 = the last print), and each indicator's
  weighted mean over the same months (together they let the regression carry forward how
  far China has been running above or below what the indicators implied),
- the target twelve months earlier (the base effect; Jan–Feb rule of
  :func:`models.nowcast.lag12_with_jan_feb`),
- calendar regressors (``calendar``, default
  :data:`models.nowcast.DEFAULT_CALENDAR`: working days against a year earlier
  and Lunar New Year's position, :mod:`models.workdays`; history months outside China's
  holiday schedule drop out, a month to forecast outside it is a ModelError).

Features are standardised; the ridge penalty is chosen on the history only, by expanding-
window one-step-ahead errors over its last ``cv_window`` target months (time-series CV). The
same out-of-sample errors at the chosen penalty give the predictive sd (their root mean
square, growing with the square root of the number of target months ahead). Forecasts more
than one target month ahead are recursive (the forecast stands in for the missing prints).
The exog contract and the indicator choice are those of :mod:`models.nowcast`;
without usable indicators the model is the same ridge on the target's own past.

Backtest note (2019–2026, eve of each release): CV over only 24 months and a grid reaching
large penalties shrank the model towards the mean and cost ~1 point of MAE; the defaults
(48 months, penalties 1e-3..1e2) keep it close to OLS unless the history says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.base import ModelError, PointForecast, from_log_growth, log_growth
from models.nowcast import (
    DEFAULT_CALENDAR,
    DEFAULT_INDICATORS,
    NowcastForecaster,
    calendar_block,
    lag12_with_jan_feb,
)
from models.periods import is_target_period

__all__ = ["BridgeForecaster", "ridge_path_errors"]


def is_growth_rate(name: str) -> bool:
    """Indicators named ``*_yoy`` are y/y growth rates (log-transformed); others are levels."""
    return name.endswith("_yoy")


def _past_level(
    values: pd.Series, known: pd.Index, weight: float, grid: pd.PeriodIndex
) -> pd.Series:
    """For each period of ``grid``, the exponentially weighted mean (smoothing ``weight``;
    1 = the last value) of ``values`` over the months of ``known`` strictly before it."""
    smoothed = values.reindex(known).ewm(alpha=weight, ignore_na=True).mean()
    return smoothed.reindex(grid).ffill().shift(1)


class _Ridge:
    """Ridge on standardised features with an unpenalised intercept (closed form).

    The standardisation and cross-products depend on the data only: :meth:`solve` reuses
    them for each penalty."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.mu = x.mean(axis=0)
        sd = x.std(axis=0)
        self.sd = np.where(sd > 0, sd, 1.0)
        z = (x - self.mu) / self.sd
        self.intercept = float(y.mean())
        self._zz = z.T @ z
        self._zy = z.T @ (y - self.intercept)
        self.coef = np.zeros(z.shape[1])

    def solve(self, alpha: float) -> _Ridge:
        self.coef = np.linalg.solve(self._zz + alpha * np.eye(len(self._zy)), self._zy)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + ((x - self.mu) / self.sd) @ self.coef


def ridge_path_errors(
    x: np.ndarray, y: np.ndarray, alphas: Sequence[float], window: int
) -> np.ndarray:
    """Expanding-window one-step-ahead errors (forecast − actual) for each penalty.

    Returns an array of shape ``(len(alphas), window)``: row ``i`` holds the errors of
    ``alphas[i]`` on the last ``window`` rows, each forecast fitted on the rows before it.
    """
    n = len(y)
    errors = np.empty((len(alphas), window))
    for j, row in enumerate(range(n - window, n)):
        ridge = _Ridge(x[:row], y[:row])
        for i, alpha in enumerate(alphas):
            errors[i, j] = ridge.solve(alpha).predict(x[row : row + 1])[0] - y[row]
    return errors


class BridgeForecaster(NowcastForecaster):
    """Ridge bridge regression; penalty by time-series CV; intervals from its own OOS errors."""

    alias = "bridge"

    def __init__(
        self,
        indicators: Sequence[str] = DEFAULT_INDICATORS,
        memory: Sequence[float] = (0.3,),
        alphas: Sequence[float] = tuple(np.logspace(-3, 2, 6)),
        cv_window: int = 48,
        min_overlap: int = 24,
        calendar: Sequence[str] = DEFAULT_CALENDAR,
    ) -> None:
        super().__init__()
        self.indicators = tuple(indicators)
        self.calendar = tuple(calendar)
        self.memory = tuple(float(w) for w in memory)
        self.alphas = tuple(float(a) for a in alphas)
        self.cv_window = cv_window
        self.min_overlap = min_overlap
        self.alpha: float | None = None

    # -- features --------------------------------------------------------------------------
    def _indicator_block(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {c: log_growth(frame[c]) if is_growth_rate(c) else frame[c] for c in frame},
            index=frame.index,
        )

    def _features(self, target: pd.Series, block: pd.DataFrame) -> pd.DataFrame:
        """Feature rows on ``target``'s grid; ``target`` is the log-growth target (NaN where
        unknown), ``block`` the transformed indicators on the same grid."""
        grid = target.index
        known = target.index[target.notna()]
        feats: dict[str, pd.Series] = {c: block[c] for c in block.columns}
        for w in self.memory:
            feats[f"target_level{w:g}"] = _past_level(target, known, w, grid)
            for c in block.columns:
                feats[f"{c}_level{w:g}"] = _past_level(block[c], known, w, grid)
        feats["target_lag12"] = lag12_with_jan_feb(target)
        if self.calendar:
            cal = calendar_block(grid, self.calendar, self._history.index[-1])
            feats.update({c: cal[c] for c in cal.columns})
        return pd.DataFrame(feats, index=grid)

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        inputs = self._select_inputs(history, exog)
        hist_grid = history.index
        target = log_growth(history)
        block = self._indicator_block(inputs.frame.reindex(hist_grid))
        feats = self._features(target, block)
        rows = feats.assign(_y=target).dropna()
        rows = rows[[is_target_period(p) for p in rows.index]]
        self._columns = list(feats.columns)
        x, y = rows[self._columns].to_numpy(), rows["_y"].to_numpy()
        window = min(self.cv_window, len(y) - max(12, x.shape[1] // 2))
        if window < 6:
            raise ModelError(
                f"model {self.alias!r}: only {len(y)} complete months for {x.shape[1]} "
                "features; too few to choose the penalty"
            )
        errors = ridge_path_errors(x, y, self.alphas, window)
        # choose on the y/y scale the forecast is judged on
        actual = from_log_growth(y[-window:])
        yoy_err = from_log_growth(errors + y[-window:]) - actual
        mae = np.abs(yoy_err).mean(axis=1)
        best = int(np.argmin(mae))
        self.alpha = self.alphas[best]
        self._sigma = float(np.sqrt(np.mean(yoy_err[best] ** 2)))
        self._model = _Ridge(x, y).solve(self.alpha)

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        periods, frame, grid = self._forecast_inputs(steps, exog)
        block = self._indicator_block(frame.reindex(grid))
        target = log_growth(self._history.reindex(grid))
        mean = np.full(steps, np.nan)
        sd = np.full(steps, np.nan)
        ahead = 0
        for i, period in enumerate(periods):
            if not is_target_period(period):
                continue
            ahead += 1
            row = self._features(target, block).loc[[period], self._columns]
            if row.isna().to_numpy().any():
                missing = list(row.columns[row.isna().iloc[0]])
                raise ModelError(f"model {self.alias!r}: features missing for {period}: {missing}")
            log_hat = float(self._model.predict(row.to_numpy())[0])
            target.loc[period] = log_hat
            mean[i] = float(from_log_growth(log_hat))
            sd[i] = self._sigma * np.sqrt(ahead)
        return PointForecast(mean=mean, sd=sd)
