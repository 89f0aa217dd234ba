"""Model implementations behind one contract (:mod:`models.base`), one model per module."""

from models.base import FORECAST_COLUMNS, Forecaster, ModelError, PointForecast, filled_history
from models.periods import is_target_period, next_target_periods
from models.registry import UnknownModelError, available_models, create_model, model_class

__all__ = [
    "FORECAST_COLUMNS",
    "Forecaster",
    "ModelError",
    "PointForecast",
    "UnknownModelError",
    "available_models",
    "create_model",
    "filled_history",
    "is_target_period",
    "model_class",
    "next_target_periods",
]
