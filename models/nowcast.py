"""What the nowcasting models (``dynreg``, ``bridge``, ``dfm``, and the Korea-based members)
share: how an ``exog`` frame is checked, which indicator columns a fit may use
(:func:`nowcast_inputs`), how the combined Jan–Feb months are filled, the calendar block, the
default indicators and calendar regressors, and :class:`NowcastForecaster`, the fit/predict
preamble of ``dynreg``, ``bridge`` and ``kr_surprise``.

Exog contract (all three nowcasting models)
    ``fit(history, exog)``: ``exog`` is a frame on a monthly ``PeriodIndex`` whose columns
    include the model's ``indicators`` and whose rows cover the history's periods **and** the
    periods to forecast. Rows after the history's last period carry the indicator values
    released as of the forecast time, NaN otherwise. ``predict(horizon, exog)`` takes the same
    frame (``None`` = the frame given to ``fit``).

    An indicator is used only if it has a value for every target period to forecast (rows
    after the history's last period, up to the frame's last row) and enough overlap with the
    history (``min_overlap`` months). Otherwise that column is dropped for this fit: the model
    falls back to the columns available, and to its univariate form if none is; the columns in
    use are in the fitted model's ``used_indicators``. ``exog=None`` gives the univariate form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError
from models.periods import is_combined_jan_feb, is_target_period
from models.shared_inputs import content_key, history_gaps_imputed, shared
from models.workdays import calendar_regressors

__all__ = [
    "DEFAULT_CALENDAR",
    "DEFAULT_INDICATORS",
    "NowcastForecaster",
    "NowcastInputs",
    "calendar_block",
    "combined_january_filled",
    "forecast_frame",
    "lag12_with_jan_feb",
    "nowcast_inputs",
]

#: The leading indicators ``dynreg`` and ``bridge`` use by default (see forecasting.series).
#: ``kr_exports_to_china_yoy`` is left out: in the 2019–2026 pseudo-real-time backtest adding
#: it raised the MAE of both targets (benchmarks/nowcast_eval.py reports the contributions).
DEFAULT_INDICATORS: tuple[str, ...] = (
    "kr_exports_yoy",
    "kr_exports_first20d_yoy",
    "cn_pmi_new_export_orders",
)


#: The calendar regressors ``dynreg`` and ``bridge`` take by default (:mod:`models.workdays`):
#: China's working days against a year earlier (official schedule, log ratio), Lunar New
#: Year's position, and Korea's working days (the Korean indicators carry Korea's calendar).
#: Chosen on the 2010–2018 backtest (``benchmarks/calibration_eval.py``): with them the
#: ensemble's MAE fell from 5.57 to 5.33 (bridge) / 5.43 (dynreg) on exports and from 5.70
#: to 5.63 / 5.59 on imports (one model changed at a time).
DEFAULT_CALENDAR: tuple[str, ...] = ("cn_wd_log", "lny_pre", "lny_post", "kr_wd_log")


@dataclass(frozen=True)
class NowcastInputs:
    """An indicator block aligned with a history, for a nowcasting model.

    ``frame`` runs from the history's first period to the last forecast period (or the
    history's last period if ``exog`` has no rows after it), columns ``used``.
    """

    frame: pd.DataFrame
    used: tuple[str, ...]


def _checked_exog(exog: pd.DataFrame, alias: str) -> pd.DataFrame:
    if not isinstance(exog, pd.DataFrame):
        raise ModelError(f"model {alias!r}: exog must be a DataFrame, got {type(exog).__name__}")
    if not isinstance(exog.index, pd.PeriodIndex) or exog.index.freqstr not in ("M", "ME"):
        raise ModelError(
            f"model {alias!r}: exog needs a monthly PeriodIndex "
            "(build it with forecasting.indicators.indicator_exog)"
        )
    if exog.index.has_duplicates:
        raise ModelError(f"model {alias!r}: exog has duplicate periods")
    return exog.sort_index()


def nowcast_inputs(
    history: pd.Series,
    exog: pd.DataFrame | None,
    indicators: Sequence[str],
    alias: str,
    min_overlap: int = 24,
    impute: bool = True,
) -> NowcastInputs:
    """Choose the usable indicator columns and align them with ``history``.

    A column is used when it is in ``indicators`` and in ``exog``, has a value at every target
    period after the history's last period that ``exog`` covers, and shares at least
    ``min_overlap`` target periods with the history. With ``impute``, gaps inside the history
    are filled (:func:`models.shared_inputs.history_gaps_imputed`). Pure: nothing passed in is
    modified. Within a :func:`models.shared_inputs.shared_inputs` scope (one origin) the
    models asking for the same inputs share one preparation.
    """
    if exog is None:
        return NowcastInputs(pd.DataFrame(index=history.index), ())
    exog = _checked_exog(exog, alias)
    key = (
        "nowcast_inputs",
        content_key(history),
        content_key(exog),
        tuple(indicators),
        min_overlap,
        impute,
    )
    return shared(
        key,
        lambda: _prepared_inputs(history, exog, indicators, min_overlap, impute),
        lambda inputs: NowcastInputs(inputs.frame.copy(), inputs.used),
    )


def _prepared_inputs(
    history: pd.Series,
    exog: pd.DataFrame,
    indicators: Sequence[str],
    min_overlap: int,
    impute: bool,
) -> NowcastInputs:
    """:func:`nowcast_inputs` on a checked ``exog``."""
    last = history.index[-1]
    end = max(last, exog.index[-1])
    grid = pd.period_range(history.index[0], end, freq="M")
    future = grid[grid > last]
    future_targets = [p for p in future if is_target_period(p)]
    aligned = exog.reindex(grid)
    y = history.reindex(grid)
    used: list[str] = []
    # with nothing to forecast no indicator is used
    for name in indicators if future_targets else ():
        if name not in aligned.columns:
            continue
        col = pd.to_numeric(aligned[name], errors="coerce")
        if col.loc[future_targets].isna().any():
            continue  # not released for a month to forecast: not used for this nowcast
        overlap = int((col.notna() & y.notna()).sum())
        if overlap >= min_overlap and float(np.nanstd(col.to_numpy(dtype=float))) > 0:
            used.append(name)
    frame = aligned.loc[:, used].astype(float)
    if impute:
        frame = history_gaps_imputed(frame, last)
    return NowcastInputs(frame, tuple(used))


def forecast_frame(
    history: pd.Series,
    exog: pd.DataFrame | None,
    used: Sequence[str],
    alias: str,
    fitted: pd.DataFrame,
    periods: pd.PeriodIndex,
) -> pd.DataFrame:
    """The used indicator columns for predicting ``periods``: from ``exog`` when given (the
    same selection and imputation as at fit time), else the frame seen at fit time.

    Raises:
        ModelError: the frame stops before the last period to forecast.
    """
    frame = fitted
    if exog is not None and used:
        frame = nowcast_inputs(history, exog, used, alias, min_overlap=0).frame
        frame = frame.reindex(columns=list(used))
    if used and periods[-1] > frame.index[-1]:
        raise ModelError(
            f"model {alias!r}: exog ends at {frame.index[-1]} but the forecast needs "
            f"{periods[-1]}; build it with indicator_exog(..., last_period={periods[-1]})"
        )
    return frame


def lag12_with_jan_feb(y: pd.Series) -> pd.Series:
    """The target twelve months earlier, on ``y``'s index, with the Jan–Feb rule.

    For a combined Jan–Feb period (``YYYY-02`` from 2020) whose year-earlier February is a
    single month (2019), the lag is the mean of that January and February.
    """
    lag = y.shift(12)
    for period in y.index[y.index.month == 2]:  # only a February can be a combined Jan–Feb
        if is_combined_jan_feb(period) and not is_combined_jan_feb(period - 12):
            jan, feb = period - 13, period - 12
            if jan in y.index and feb in y.index:
                vals = y.loc[[jan, feb]].dropna()
                lag.loc[period] = float(vals.mean()) if len(vals) else np.nan
    return lag


def calendar_block(grid: pd.PeriodIndex, columns: Sequence[str], last: pd.Period) -> pd.DataFrame:
    """The calendar regressors ``columns`` (:mod:`models.workdays`) on ``grid``.

    History months (up to ``last``) outside China's published holiday schedule are NaN (the
    model drops them); a month to forecast outside it raises :class:`ModelError` naming the
    first day not covered.
    """
    if not columns:
        return pd.DataFrame(index=grid)
    past = calendar_regressors(grid[grid <= last], columns, missing="nan")
    future = calendar_regressors(grid[grid > last], columns, missing="raise")
    return pd.concat([past, future]).reindex(grid)


def combined_january_filled(frame: pd.DataFrame) -> pd.DataFrame:
    """Regressors for a combined January (2020 on) copy the Jan–Feb aggregate on ``YYYY-02``."""
    out = frame.copy()
    for period in out.index[out.index.month == 1]:  # only a January can be combined
        if not is_target_period(period) and (period + 1) in out.index:
            out.loc[period] = out.loc[period + 1].to_numpy()
    return out


class NowcastForecaster(Forecaster):
    """The fit/predict preamble ``dynreg`` and ``bridge`` share (exog contract above).

    Subclasses set ``indicators`` and ``min_overlap``; :meth:`_select_inputs` (at fit time)
    sets ``used_indicators``, :meth:`_forecast_inputs` (at predict time) gives the frame.
    """

    supports_exog = True
    min_history = 36
    indicators: tuple[str, ...]
    min_overlap: int
    #: calendar regressors (:data:`models.workdays.CALENDAR_COLUMNS`) the model adds
    calendar: tuple[str, ...] = ()
    #: what the calendar regressors load (:mod:`models.workdays`)
    imports: ClassVar[tuple[str, ...]] = ("chinese_calendar", "holidays", "models.prophet_lny")
    #: the indicators the last fit used (set by :meth:`_select_inputs`); none before a fit
    used_indicators: tuple[str, ...] = ()

    def _select_inputs(self, history: pd.Series, exog: pd.DataFrame | None) -> NowcastInputs:
        """Choose the usable indicators (:func:`nowcast_inputs`) and keep them for predict."""
        inputs = nowcast_inputs(history, exog, self.indicators, self.alias, self.min_overlap)
        self.used_indicators = inputs.used
        self._inputs = inputs
        return inputs

    def _forecast_inputs(
        self, steps: int, exog: pd.DataFrame | None
    ) -> tuple[pd.PeriodIndex, pd.DataFrame, pd.PeriodIndex]:
        """(the ``steps`` months to forecast, the used indicators for them (see
        :func:`forecast_frame`), the monthly grid from the history's start to the last one)."""
        last = self._history.index[-1]
        periods = pd.period_range(last + 1, periods=steps, freq="M")
        if exog is not None and self._exog is not None and exog.equals(self._exog):
            exog = None  # the fit's own frame: its inputs are already prepared
        frame = forecast_frame(
            self._history, exog, self.used_indicators, self.alias, self._inputs.frame, periods
        )
        grid = pd.period_range(self._history.index[0], periods[-1], freq="M")
        return periods, frame, grid
