"""``dynreg``: regression with ARMA errors (SARIMAX) on the same-month leading indicators.

The target y/y is regressed on the indicators released for the same month (the columns of the
``exog`` frame built by :func:`forecasting.indicators.indicator_exog`); the residual follows an
ARMA(1,1) (or the lowest-AIC order of a given grid), and the target's own value twelve months
back enters as a regressor (the base effect). Intervals come from the state-space model.

This module also holds the helpers the three nowcasting models share (:func:`nowcast_inputs`):
how an ``exog`` frame is checked, which indicator columns a fit may use, and how the
combined Jan–Feb months are filled; :class:`NowcastForecaster` is the fit/predict preamble of
``dynreg`` and ``bridge``.

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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from models.arma_regression import ArmaRegression, fit_arma_regression, supports_order
from models.base import Forecaster, ModelError, PointForecast, lowest_aic
from models.periods import is_combined_jan_feb, is_target_period
from models.shared_inputs import content_key, history_gaps_imputed, shared
from models.workdays import calendar_regressors

__all__ = [
    "DEFAULT_CALENDAR",
    "DEFAULT_INDICATORS",
    "DynamicRegressionForecaster",
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
