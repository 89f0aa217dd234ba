"""``kr_balance``: a balance nowcast from Korea's exports, on the change from a year earlier.

China's balance moves from a year earlier by ``d_t = B_t − B_base(t)``
(:mod:`models.seasonal_difference`), roughly ``X'·gx − M'·gm``. Korea's exports (released on
the 1st of the next month, before China's print) track the region's trade cycle, and Korea's
exports to China track China's imports. Per month covered (``n_t`` = 2 for a combined
Jan–Feb, else 1)::

    d_t / n_t = a + Σ_i b_i · k_{i,t} + e_t

fitted by least squares over the last ``window`` target periods (a window, since the trade
levels and so the slopes change), ``k_i`` the used indicators' y/y % (from 2020 their
Jan–Feb value is the mean of the two months, as :func:`forecasting.indicators.indicator_exog`
builds it). Without the indicators for every period to forecast (Korea's month not out yet,
or more than one step ahead) the model is ``d_t / n_t = a`` on the same window: the seasonal
naive with the recent drift. Intervals: Gaussian, sd the residuals' root mean square per month
times ``√n_t``. The exog contract is that of :mod:`models.nowcast`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.base import ModelError
from models.nowcast import forecast_frame, nowcast_inputs
from models.periods import is_combined_jan_feb, is_target_period
from models.seasonal_difference import SeasonalDifferenceForecaster

__all__ = ["KoreaBalanceForecaster"]


def _months(period: pd.Period) -> int:
    return 2 if is_combined_jan_feb(period) else 1


class KoreaBalanceForecaster(SeasonalDifferenceForecaster):
    """``d_t / n_t`` on Korea's exports y/y over a rolling window; see the module docstring."""

    alias = "kr_balance"
    supports_exog = True
    min_history = 48
    #: the indicators the last fit used; none before a fit
    used_indicators: tuple[str, ...] = ()

    def __init__(
        self,
        indicators: Sequence[str] = ("kr_exports_yoy", "kr_exports_to_china_yoy"),
        window: int = 60,
        min_overlap: int = 24,
    ) -> None:
        super().__init__()
        if window < 12:
            raise ValueError(f"window must be >= 12, got {window}")
        self.indicators = tuple(indicators)
        self.window = window
        self.min_overlap = min_overlap

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        self._inputs = nowcast_inputs(history, exog, self.indicators, self.alias, self.min_overlap)
        self.used_indicators = self._inputs.used
        super()._fit(history, exog)

    def _fit_differences(self, d: pd.Series) -> None:
        rows = [p for p in d.index if is_target_period(p) and pd.notna(d[p])][-self.window :]
        if len(rows) < 12:
            raise ModelError(f"model {self.alias!r}: only {len(rows)} changes from a year earlier")
        n = np.array([_months(p) for p in rows], dtype=float)
        per_month = d.loc[rows].to_numpy(dtype=float) / n
        self._drift = float(per_month.mean())
        self._drift_sd = float(np.sqrt(np.mean((per_month - self._drift) ** 2)))
        self._coef: np.ndarray | None = None
        used = list(self.used_indicators)
        if used:
            x = self._inputs.frame.reindex(rows).loc[:, used]
            ok = x.notna().all(axis=1).to_numpy()
            if ok.sum() >= max(self.min_overlap, 3 * (len(used) + 1)):
                design = np.column_stack([np.ones(ok.sum()), x.to_numpy(dtype=float)[ok]])
                coef, *_ = np.linalg.lstsq(design, per_month[ok], rcond=None)
                resid = per_month[ok] - design @ coef
                self._coef = coef
                self._sigma = float(np.sqrt(np.mean(resid**2) * ok.sum() / (ok.sum() - len(coef))))
            else:
                self.used_indicators = ()

    def _forecast_differences(
        self, targets: list[pd.Period], exog: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = np.array([_months(p) for p in targets], dtype=float)
        if self._coef is None or not self.used_indicators:
            return n * self._drift, np.sqrt(n) * self._drift_sd
        if exog is not None and self._exog is not None and exog.equals(self._exog):
            exog = None  # the fit's own frame
        periods = pd.PeriodIndex(targets, freq="M")
        frame = forecast_frame(
            self._history, exog, self.used_indicators, self.alias, self._inputs.frame, periods
        )
        x = frame.reindex(periods).loc[:, list(self.used_indicators)].to_numpy(dtype=float)
        if np.isnan(x).any():
            raise ModelError(f"model {self.alias!r}: indicators missing for {list(targets)}")
        per_month = self._coef[0] + x @ self._coef[1:]
        return n * per_month, np.sqrt(n) * self._sigma
