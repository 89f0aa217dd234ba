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

    # No type hints on predict: MLflow would try to derive a schema validator from them.
    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        if isinstance(model_input, pd.DataFrame):
            horizon = int(model_input["horizon"].max()) if "horizon" in model_input else 1
        elif model_input is None:
            horizon = 1
        else:
            horizon = int(model_input)
        out = self.forecaster.predict(horizon, self.exog)
        out.insert(0, "model", self.forecaster.alias)
        out.insert(0, "target", self.target)
        return out
