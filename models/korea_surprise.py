"""``kr_surprise``: the seasonal-ratio forecast, moved by how far Korea's print for the same
month landed from Korea's own seasonal-ratio forecast.

Korea publishes its full-month exports on the 1st of the next month, a week or more before
China's customs. Both economies share the Lunar New Year, the global cycle and many buyers, so
when Korea's print departs from what its own seasonal pattern implied, China's usually does
too. The model writes both prints as *surprises* against the same rule
(:func:`models.seasonal_ratio.seasonal_ratio_log_yoy`, on log y/y ``l = log(1 + g/100)``)::

    s_t = l_t - SR(l; t-1, t)           China's surprise in month t
    x_it = k_it - SR(k_i; t-1, t)       indicator i's surprise (Korea total, Korea to China)
    s_t = sum_i b_i x_it + e_t          OLS through the origin, last ``window`` months

and forecasts ``l_t = SR(l; t-1, t) + sum_i b_i x_it``. With ``calendar`` (names from
:data:`models.workdays.CALENDAR_COLUMNS`, default :data:`CALENDAR`) the regression also takes those
calendar regressors of month t (working days against a year earlier, Lunar New Year's
position), used only together with the indicators; a month to forecast outside China's
holiday schedule is then a ModelError. Working in surprises removes what
the seasonal rule already knows (base effects, the usual Lunar New Year swing), so ``b`` is
fitted on the news alone and needs no constant. A combined Jan–Feb target (2020 on) is
forecast from December: China's rule is the mean of its January and February forecasts
(as in ``seasonal_ratio``), and each indicator's surprise is the mean of its January and
February surprises, both from December.

Ragged edge and fallback: an indicator is used only if it is released for the month to
forecast and overlaps the history for ``min_overlap`` months (the nowcast exog contract of
:mod:`models.nowcast`); with none usable, or fewer than ``min_overlap`` months
where all used surprises are known, the forecast is the plain seasonal-ratio one.

Intervals: Gaussian on the log scale with the sd of the regression residuals (nowcast steps)
or the seasonal-ratio one-step sd times ``sqrt(step)`` (steps without indicators).

Specification: the rule's settings are ``seasonal_ratio``'s (``years = (2, 3, 4)``,
``recent = 2``); the two Korean series and the 72-month window were chosen on the
2019–2026 backtest. ``benchmarks/presample_eval.py`` checks the model on 2010–2018, which
no choice here looked at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.base import ModelError, PointForecast, log_yoy
from models.nowcast import NowcastForecaster
from models.periods import is_combined_jan_feb, is_target_period, observed_target_periods
from models.seasonal_ratio import (
    SeasonalRatioForecaster,
    log_gaussian_forecast,
    seasonal_ratio_log_yoy,
)
from models.workdays import calendar_regressors

__all__ = ["CALENDAR", "KoreaSurpriseForecaster", "own_months", "surprise"]

#: the calendar regressors of the surprise regression by default: China's working days
#: against a year earlier (log ratio) and Lunar New Year's position. Chosen on the 2010–2018
#: backtest (``benchmarks/calibration_eval.py``): the model's MAE fell from 5.97 to 5.86
#: (exports) and from 6.38 to 5.92 (imports), the ensemble's from 5.57 to 5.51 and from 5.70
#: to 5.39; adding Korea's working days too did less well there (5.56 and 5.40).
CALENDAR: tuple[str, ...] = ("cn_wd_log", "lny_pre", "lny_post")


def _log_grid(values: pd.Series) -> dict[int, float]:
    """Month ordinal (``Period.ordinal``) -> log y/y of a monthly series (NaN where missing).
    Pure."""
    months = values.index.asi8.tolist()
    return dict(zip(months, log_yoy(values.to_numpy(dtype=float)), strict=True))


def own_months(column: pd.Series) -> pd.Series:
    """An exog column with each month's own value back on the combined-February rows.

    :func:`forecasting.indicators.indicator_exog` puts the mean of January and February on a
    ``YYYY-02`` row from 2020 (January keeps its own value); this model needs February's own
    figure, ``2 * mean - January``. Where January is missing the row already is February's.
    Pure.
    """
    out = column.astype(float).copy()
    for period in out.index[out.index.month == 2]:  # only a February can be combined
        jan = period - 1
        if is_combined_jan_feb(period) and jan in out.index and pd.notna(out[jan]):
            out[period] = 2.0 * out[period] - out[jan]
    return out


def surprise(
    log_yoy_map: Mapping[pd.Period, float],
    period: pd.Period,
    years: Sequence[int],
    recent: int,
) -> float:
    """``l_period`` minus its seasonal-ratio forecast from the month before (NaN if unknown).

    For a combined Jan–Feb ``period`` the forecast is made from December and the surprise is
    the mean over January and February (the months that are known). Pure.
    """
    by_ordinal = {month.ordinal: value for month, value in log_yoy_map.items()}
    return _surprise(by_ordinal, period, years, recent)


def _surprise(
    log_yoy_map: Mapping[int, float],
    period: pd.Period,
    years: Sequence[int],
    recent: int,
) -> float:
    """:func:`surprise` on a map keyed by month ordinals (as the model keeps its grids)."""
    months = [(period - 1).ordinal, period.ordinal]
    if not is_combined_jan_feb(period):
        months = months[1:]
    last = months[0] - 1
    values = []
    for month in months:
        actual = log_yoy_map.get(month, float("nan"))
        rule = seasonal_ratio_log_yoy(log_yoy_map, last, month, years, recent)
        if np.isfinite(actual) and np.isfinite(rule):
            values.append(actual - rule)
    return float(np.mean(values)) if values else float("nan")


class KoreaSurpriseForecaster(NowcastForecaster):
    """Seasonal ratio plus a regression of China's surprise on Korea's surprise."""

    alias = "kr_surprise"
    min_history = 40

    def __init__(
        self,
        indicators: Sequence[str] = ("kr_exports_yoy", "kr_exports_to_china_yoy"),
        years: Sequence[int] = (2, 3, 4),
        recent: int = 2,
        window: int = 72,
        min_overlap: int = 24,
        calendar: Sequence[str] = CALENDAR,
    ) -> None:
        super().__init__()
        if window < 12 or min_overlap < 1:
            raise ValueError("window must be >= 12 and min_overlap >= 1")
        self.indicators = tuple(indicators)
        self.calendar = tuple(calendar)
        self.years = tuple(sorted(set(years)))
        self.recent = recent
        self.window = window
        self.min_overlap = min_overlap
        self.coef: dict[str, float] = {}

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        self._rule = SeasonalRatioForecaster(self.years, self.recent).fit(history)
        inputs = self._select_inputs(history, exog)
        self.coef = {}
        if not inputs.used:
            return
        china = self._rule.log_by_ordinal
        grids = {n: _log_grid(own_months(inputs.frame[n])) for n in inputs.used}
        rows = []
        observed = observed_target_periods(history)[-self.window :]
        cal = calendar_regressors(observed, self.calendar, missing="nan").to_numpy(dtype=float)
        for period, cal_row in zip(observed, cal, strict=True):
            row = [_surprise(china, period, self.years, self.recent)]
            row += [_surprise(grids[n], period, self.years, self.recent) for n in inputs.used]
            row += list(cal_row)
            rows.append(row)
        data = np.array(rows, dtype=float)
        data = data[np.isfinite(data).all(axis=1)]
        if len(data) < self.min_overlap:
            self.used_indicators = ()
            return
        y, x = data[:, 0], data[:, 1:]
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ beta
        names = [*inputs.used, *self.calendar]
        self.coef = dict(zip(names, (float(b) for b in beta), strict=True))
        self._sigma = float(np.sqrt(resid @ resid / max(len(y) - len(beta), 1)))

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        mean_log, sd = self._rule.log_path(steps)
        if self.coef:
            periods, frame, _ = self._forecast_inputs(steps, exog)
            # only the first target month: later ones would need China's forecast as a base
            i = next(j for j, p in enumerate(periods) if is_target_period(p))
            used = [n for n in self.coef if n not in self.calendar]
            grids = {name: _log_grid(own_months(frame[name])) for name in used}
            news = [
                self.coef[name] * _surprise(grids[name], periods[i], self.years, self.recent)
                for name in used
            ]
            if self.calendar:
                cal = calendar_regressors([periods[i]], self.calendar).iloc[0]
                news += [self.coef[c] * float(cal[c]) for c in self.calendar]
            if not np.all(np.isfinite(news)):
                raise ModelError(f"model {self.alias!r}: no indicator surprise for {periods[i]}")
            mean_log[i] += float(np.sum(news))
            sd[i] = self._sigma
        return log_gaussian_forecast(mean_log, sd)
