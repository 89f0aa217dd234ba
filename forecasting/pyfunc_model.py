"""The MLflow pyfunc wrapper around a fitted :class:`models.base.Forecaster`."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

__all__ = ["TradeForecastModel"]


class TradeForecastModel(mlflow.pyfunc.PythonModel):
    """``predict(model_input)`` forecasts the next target periods after the fitted history.

    ``model_input`` is a horizon: an int, or a frame with a ``horizon`` column (its maximum is
    used). Returns the forecast frame ``period, yhat, yhat_lo_80, yhat_hi_80, yhat_lo_95,
    yhat_hi_95`` plus ``model`` and ``target``.
    """

    def __init__(self, forecaster: Any, target: str, exog: pd.DataFrame | None = None) -> None:
        self.forecaster = forecaster
        self.target = target
        self.exog = exog

    # The input is a horizon, not a batch of records: MLflow's type-hint based input validation
    # (which expects list[...] inputs and warns otherwise) does not apply.
    _skip_type_hint_validation = True

    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        if isinstance(model_input, pd.DataFrame):
            horizon = int(model_input["horizon"].max()) if "horizon" in model_input else 1
        elif model_input is None:
            horizon = 1
        else:
            horizon = int(model_input)
        exog = self.exog
        if exog is not None:
            # indicators are known only up to the fitted information set: later months are
            # missing (NaN), and the nowcast models then go without those indicators
            from models.periods import next_target_periods

            last = next_target_periods(self.forecaster._history.index[-1], horizon)[-1]
            exog = exog.reindex(pd.period_range(exog.index[0], max(last, exog.index[-1]), freq="M"))
        out = self.forecaster.predict(horizon, exog)
        out.insert(0, "model", self.forecaster.alias)
        out.insert(0, "target", self.target)
        return out
