"""Balance models written on the change from a year earlier (the seasonal difference).

A trade balance in USD bn is strongly seasonal (the Lunar New Year slump, the autumn peak),
can be negative, and from 2020 its ``YYYY-02`` row is the January–February total. The
change from the same period a year earlier,

    d_t = B_t − B_base(t)

(the base is the same period a year earlier; for 2020-02, the first combined Jan–Feb, the
sum of January and February 2019: :func:`models.periods.year_earlier_periods`), removes the
seasonal level and is defined the same way for every target period, combined or not. A model
of this family forecasts ``d`` and adds the base back: for steps up to 12 months the base is
known history; further out it is the model's own forecast of the base period (its variance
added). :class:`SeasonalDifferenceForecaster` does that; subclasses forecast ``d``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError, PointForecast
from models.periods import is_target_period, year_earlier_periods

__all__ = ["SeasonalDifferenceForecaster", "seasonal_differences", "year_earlier_value"]


def year_earlier_value(values: Mapping[pd.Period, float], period: pd.Period) -> float:
    """The year-earlier base of ``period`` in ``values`` (month -> value): the same period a
    year earlier, or for 2020-02 the sum of January and February 2019. NaN if a month of the
    base is missing."""
    total = 0.0
    for base in year_earlier_periods(period):
        value = values.get(base, np.nan)
        if value is None or not np.isfinite(value):
            return float("nan")
        total += float(value)
    return total


def seasonal_differences(history: pd.Series) -> pd.Series:
    """``d_t = B_t − B_base(t)`` on ``history``'s index (NaN where either side is missing,
    and on combined Januaries). Pure.

    Returns:
        float Series on the same monthly PeriodIndex, named ``history.name + "_sdiff"``.
    """
    values = dict(history.astype(float).items())
    out = [
        float(history[p]) - year_earlier_value(values, p)
        if is_target_period(p) and pd.notna(history[p])
        else np.nan
        for p in history.index
    ]
    name = f"{history.name}_sdiff" if history.name is not None else None
    return pd.Series(out, index=history.index, name=name, dtype=float)


class SeasonalDifferenceForecaster(Forecaster):
    """Forecast ``d`` (subclasses: :meth:`_fit_differences`, :meth:`_forecast_differences`)
    and add the year-earlier base back. Balance series only."""

    series_kinds = frozenset({"balance"})

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        d = seasonal_differences(history)
        first = d.first_valid_index()
        if first is None:
            raise ModelError(f"model {self.alias!r}: no period with a year-earlier base")
        self._fit_differences(d.loc[first:])

    @abstractmethod
    def _fit_differences(self, d: pd.Series) -> None:
        """Fit on the seasonal differences (from the first period that has one)."""

    @abstractmethod
    def _forecast_differences(
        self, targets: list[pd.Period], exog: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sd) of ``d`` for each of ``targets`` (the target periods after the
        history, in order); ``exog`` as given to ``predict`` (models with indicators)."""

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        last = self._history.index[-1]
        months = [last + i + 1 for i in range(steps)]
        targets = [m for m in months if is_target_period(m)]
        d_mean, d_sd = self._forecast_differences(targets, exog)
        values = {p: float(v) for p, v in self._history.items() if pd.notna(v)}
        variances: dict[pd.Period, float] = {}
        forecast = dict(zip(targets, zip(d_mean, d_sd, strict=True), strict=True))
        mean = np.full(steps, np.nan)
        sd = np.full(steps, np.nan)
        for i, month in enumerate(months):
            if month not in forecast:
                continue  # a combined January: no target of its own
            base = year_earlier_value(values, month)
            if not np.isfinite(base):
                raise ModelError(f"model {self.alias!r}: no year-earlier base for {month}")
            base_var = sum(variances.get(b, 0.0) for b in year_earlier_periods(month))
            dm, ds = forecast[month]
            values[month] = base + float(dm)
            variances[month] = base_var + float(ds) ** 2
            mean[i], sd[i] = values[month], np.sqrt(variances[month])
        return PointForecast(mean=mean, sd=sd)
