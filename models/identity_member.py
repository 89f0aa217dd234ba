"""``identity``: the balance implied by the exports and imports forecasts (a declaration).

``B = B' + X'·gx/100 − M'·gm/100``: last year's balance moved by the two y/y forecasts on last
year's levels, with intervals from the two forecasts' joint past errors. It needs the other
targets' forecasts and the USD levels, so it is not fitted on the balance's own history:
the service computes its rows (``forecasting.identity``) at every origin from the exports and
imports ensembles and hands them to the combination as a member's rows. This class declares
the model (its alias, the series kind it forecasts, that it is a cross-target member) so that
the registry, model sets and ``--models`` know it; fitting it directly is a clear error.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from models.base import Forecaster, PointForecast
from models.errors import ModelError

__all__ = ["IdentityBalance"]


class IdentityBalance(Forecaster):
    alias = "identity"
    series_kinds = frozenset({"balance"})
    #: its rows come from the other targets' forecasts, not from a fit on its own history
    cross_target: ClassVar[bool] = True
    #: the targets whose forecasts it combines
    inputs: ClassVar[tuple[str, ...]] = ("exports_yoy", "imports_yoy")

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        raise ModelError(
            "model 'identity' is computed from the exports and imports forecasts by the "
            "service (forecasting.identity), not fitted on a history"
        )

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        raise ModelError("model 'identity' has no fit of its own to predict from")
