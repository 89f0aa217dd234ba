"""``dfm``: a monthly dynamic factor model of the target and its indicators, with news.

The target y/y and the used indicators (see :mod:`models.nowcast` for the exog
contract and the column choice) load on one common factor with AR dynamics; each series has
an AR(1) idiosyncratic component. statsmodels' ``DynamicFactorMQ`` estimates it by EM
(iterations capped, data standardised) and handles the ragged edge natively: the nowcast is
the Kalman-smoothed target for the months to forecast, given everything in the frame.

:meth:`DynamicFactorNowcaster.news` decomposes the change in the nowcast since an earlier
information set into the contribution of each new indicator release (Bańbura–Modugno news).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.base import Forecaster, ModelError, PointForecast, _is_plausible
from models.nowcast import nowcast_inputs
from models.periods import next_target_periods

__all__ = ["DFM_INDICATORS", "NEWS_COLUMNS", "DynamicFactorNowcaster"]

#: Columns of :meth:`DynamicFactorNowcaster.news`.
NEWS_COLUMNS: tuple[str, ...] = (
    "indicator",
    "period",
    "value",
    "expected",
    "news",
    "weight",
    "impact",
)

_TARGET = "target"

#: ``dfm``'s default indicators: the more Korean and regional trade series, the better the
#: factor is pinned down (EM on three series with one factor can drift off).
DFM_INDICATORS: tuple[str, ...] = (
    "kr_exports_yoy",
    "kr_exports_to_china_yoy",
    "kr_exports_first20d_yoy",
    "vn_exports_yoy",
)

#: On standardised data a variance above this means EM has drifted off (factor scale lost).
_DIVERGED_VARIANCE = 1e3


class DynamicFactorNowcaster(Forecaster):
    """One-factor ``DynamicFactorMQ`` on the target and the used indicators.

    ``pre_sample`` months of indicator data before the history's first period are included
    (the target is missing there), which sharpens the factor when the target history is short.
    Without usable indicators the model is the target alone (a factor with an AR(1) noise).
    Intervals: the smoothed/forecast variance of the target. EM runs at most ``maxiter``
    iterations; a fit whose parameters blow up (EM drifting off) raises :class:`ModelError`
    rather than forecast nonsense.
    """

    alias = "dfm"
    imports = ("statsmodels.tsa.statespace.dynamic_factor_mq",)
    supports_exog = True
    min_history = 36

    def __init__(
        self,
        indicators: Sequence[str] = DFM_INDICATORS,
        factor_order: int = 1,
        pre_sample: int = 0,
        maxiter: int = 20,
        min_overlap: int = 24,
    ) -> None:
        super().__init__()
        self.indicators = tuple(indicators)
        self.factor_order = factor_order
        self.pre_sample = pre_sample
        self.maxiter = maxiter
        self.min_overlap = min_overlap
        self.used_indicators: tuple[str, ...] = ()

    # -- data ------------------------------------------------------------------------------
    def _endog(self, history: pd.Series, exog: pd.DataFrame | None) -> pd.DataFrame:
        """Target + used indicators on one monthly grid (the model's dataset)."""
        start = history.index[0] - self.pre_sample
        end = history.index[-1]
        if exog is not None and len(exog.index):
            end = max(end, exog.index.max())
        grid = pd.period_range(start, end, freq="M")
        data = {_TARGET: history.reindex(grid)}
        for name in self.used_indicators:
            if exog is None or name not in exog.columns:
                raise ModelError(f"model {self.alias!r}: exog lacks the column {name!r}")
            data[name] = pd.to_numeric(exog[name], errors="coerce").reindex(grid)
        return pd.DataFrame(data, index=grid, dtype=float)

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        from statsmodels.tsa.statespace.dynamic_factor_mq import DynamicFactorMQ

        inputs = nowcast_inputs(
            history, exog, self.indicators, self.alias, self.min_overlap, impute=False
        )
        exog = None if exog is None else exog.sort_index()
        # EM drifting off (a variance running away) shows within a few iterations: stop
        # earlier; failing that, keep only the most complete indicator, then none.
        complete = sorted(inputs.used, key=lambda n: -int(exog[n].notna().sum()))
        for used in dict.fromkeys((inputs.used, tuple(complete[:1]), ())):
            self.used_indicators = used
            endog = self._endog(history, exog)
            if self._fit_endog(DynamicFactorMQ, endog) and self._plausible_fit(endog, history):
                break
        else:
            raise ModelError(
                f"model {self.alias!r}: EM diverged (parameters beyond "
                f"{_DIVERGED_VARIANCE:g} on standardised data) with and without indicators"
            )
        self._endog_frame = endog

    def _plausible_fit(self, endog: pd.DataFrame, history: pd.Series) -> bool:
        """False if the fitted model's target path (in-sample and the rows after the history)
        runs far outside the history (an EM run off without tripping the parameter check)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = self._res.get_prediction(start=0, end=len(endog) - 1)
        path = np.asarray(pred.predicted_mean, dtype=float)
        if path.ndim == 2:
            path = path[:, list(endog.columns).index(_TARGET)]
        return _is_plausible(path, history)

    def _fit_endog(self, model_cls: type, endog: pd.DataFrame) -> bool:
        """Fit on ``endog`` with at most ``maxiter`` EM iterations (then 8, then 3); False if
        every attempt diverged."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = model_cls(
                endog,
                factors=1,
                factor_orders=self.factor_order,
                idiosyncratic_ar1=True,
                standardize=True,
            )
            for maxiter in dict.fromkeys((self.maxiter, 8, 3)):
                self._res = model.fit(disp=False, maxiter=maxiter)
                params = np.asarray(self._res.params, dtype=float)
                if np.all(np.isfinite(params)) and np.max(np.abs(params)) <= _DIVERGED_VARIANCE:
                    return True
        return False

    def _results_for(self, exog: pd.DataFrame | None):  # noqa: ANN202 - statsmodels results
        """The fitted results, re-applied (same parameters) to a new exog frame if given."""
        if exog is None:
            return self._res, self._endog_frame
        endog = self._endog(self._history, exog.sort_index())
        if endog.equals(self._endog_frame):
            return self._res, self._endog_frame
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self._res.apply(endog, retain_standardization=True)
        return res, endog

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        res, endog = self._results_for(exog if self.used_indicators else None)
        periods = pd.period_range(self._history.index[-1] + 1, periods=steps, freq="M")
        start = (periods[0] - endog.index[0]).n  # may equal nobs: a pure forecast
        end = start + steps - 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = res.get_prediction(start=start, end=end, information_set="smoothed")
        mean = np.asarray(pred.predicted_mean, dtype=float)
        var = np.asarray(pred.var_pred_mean, dtype=float)
        col = list(endog.columns).index(_TARGET)
        if mean.ndim == 2:
            mean = mean[:, col]
        if var.ndim == 3:
            var = var[:, col, col]
        elif var.ndim == 2:
            var = var[:, col]
        return PointForecast(mean=mean, sd=np.sqrt(np.maximum(var, 0.0)))

    # -- news ------------------------------------------------------------------------------
    def news(
        self,
        previous_exog: pd.DataFrame,
        previous_history: pd.Series | None = None,
        period: pd.Period | str | None = None,
    ) -> pd.DataFrame:
        """Which releases moved the nowcast of ``period`` since an earlier information set.

        Args:
            previous_exog: the ``indicator_exog`` frame of the earlier information set.
            previous_history: the target history then (default: the fitted history).
            period: the month whose nowcast is decomposed (default: the first target period
                after the history).

        The fitted parameters are kept; only the data differ (Bańbura–Modugno news via
        statsmodels ``results.news``). The impacts sum to the change in the nowcast.

        Returns:
            DataFrame with columns ``indicator, period, value, expected, news, weight,
            impact``: one row per figure new since the earlier set (``value`` the release,
            ``expected`` the model's prior forecast of it, ``news = value − expected``,
            ``impact = weight × news``, in target points), largest absolute impact first.
            Revised figures appear with ``expected`` the earlier value.
        """
        if self._history is None:
            raise ModelError(f"model {self.alias!r}: news called before fit")
        if period is None:
            target = next_target_periods(self._history.index[-1], 1)[0]
        else:
            target = pd.Period(period, freq="M")
        history = self._history if previous_history is None else previous_history
        previous = self._endog(history, previous_exog.sort_index()).reindex(self._endog_frame.index)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self._res.news(
                    previous,
                    comparison_type="previous",
                    impact_date=self._endog_frame.index.get_loc(target),
                    impacted_variable=_TARGET,
                    revisions_details_start=True,
                    retain_standardization=True,
                )
        except (ValueError, LookupError, ArithmeticError, np.linalg.LinAlgError) as exc:
            raise ModelError(
                f"model {self.alias!r}: no news decomposition: {type(exc).__name__}: {exc}"
            ) from exc
        rows = []
        details = result.details_by_impact
        if details is not None and len(details):
            for key, rec in details.reset_index().iterrows():
                del key
                rows.append(
                    {
                        "indicator": rec["updated variable"],
                        "period": str(_as_period(rec["update date"], self._endog_frame)),
                        "value": float(rec["observed"]),
                        "expected": float(rec["forecast (prev)"]),
                        "news": float(rec["news"]),
                        "weight": float(rec["weight"]),
                        "impact": float(rec["impact"]),
                    }
                )
        revisions = getattr(result, "revision_details_by_impact", None)
        if revisions is not None and len(revisions):
            for _, rec in revisions.reset_index().iterrows():
                rows.append(
                    {
                        "indicator": rec["revised variable"],
                        "period": str(_as_period(rec["revision date"], self._endog_frame)),
                        "value": float(rec["revised"]),
                        "expected": float(rec["observed (prev)"]),
                        "news": float(rec["revised"] - rec["observed (prev)"]),
                        "weight": np.nan,
                        "impact": float(rec["impact"]),
                    }
                )
        out = pd.DataFrame(rows, columns=list(NEWS_COLUMNS))
        order = out["impact"].abs().sort_values(ascending=False).index
        return out.loc[order].reset_index(drop=True)


def _as_period(value: object, frame: pd.DataFrame) -> pd.Period:
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if isinstance(value, (int, np.integer)):
        return frame.index[int(value)]
    return pd.Period(value, freq="M")
