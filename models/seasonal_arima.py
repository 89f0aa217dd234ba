"""``seasonal_arima``: the ``arima`` model on a balance's change from a year earlier.

``d_t = B_t − B_base(t)`` (:mod:`models.seasonal_difference`) is modelled by
:class:`models.arima.ArimaForecaster` (ARMA(p, q) × seasonal MA(Q) at lag 12 with a constant,
order by CSS-AIC): with the seasonal difference this is a SARIMA(p,0,q)(0,1,Q)₁₂ on the
balance with drift, written so that the combined Jan–Feb totals (from 2020) are compared with
the Jan–Feb total a year earlier. The balance forecast is the base plus the forecast of ``d``;
its Gaussian sd that of ``d`` (plus the base's own for steps beyond 12 months).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from models.arima import ORDER_GRID, ArimaForecaster
from models.base import ModelError
from models.gaussian import Z80
from models.seasonal_difference import SeasonalDifferenceForecaster

__all__ = ["SeasonalArimaForecaster"]


class SeasonalArimaForecaster(SeasonalDifferenceForecaster):
    """SARIMA(p,0,q)(0,1,Q)₁₂ with drift on the balance (Jan–Feb rule); see the module doc."""

    alias = "seasonal_arima"
    #: 12 months for the first change, then the 36 changes ``arima`` needs
    min_history = 12 + ArimaForecaster.min_history

    def __init__(
        self,
        grid: tuple[tuple[int, int, int], ...] = ORDER_GRID,
        method: Literal["css", "mle"] = "css",
    ) -> None:
        super().__init__()
        self.grid = tuple(grid)
        self.method = method
        self._inner: ArimaForecaster | None = None

    def _fit_differences(self, d: pd.Series) -> None:
        # d is a change in USD bn (no logs, no floors): the y/y-kind arima applies to it as is;
        # the unnamed copy is not a target series, so no kind check applies
        self._inner = ArimaForecaster(self.grid, self.method).fit(d.rename(None))

    @property
    def order(self) -> tuple[int, int, int] | None:
        """The fitted ``(p, q, Q)`` of the model of ``d``."""
        return None if self._inner is None else self._inner.order

    def _forecast_differences(
        self, targets: list[pd.Period], exog: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self._inner is not None
        frame = self._inner.predict(len(targets), levels=(80,))
        if frame["period"].tolist() != [str(p) for p in targets]:
            raise ModelError(
                f"model {self.alias!r}: inner forecast periods differ from the targets"
            )
        mean = frame["yhat"].to_numpy(dtype=float)
        sd = (frame["yhat_hi_80"] - frame["yhat_lo_80"]).to_numpy(dtype=float) / (2 * Z80)
        return mean, sd
