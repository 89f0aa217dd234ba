"""Name-keyed lazy registry: aliases map to ``module:Class`` so heavy imports wait until use."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from models.base import Forecaster
from models.errors import UnknownModelError

__all__ = [
    "MODEL_PATHS",
    "UnknownModelError",
    "available_models",
    "create_model",
    "is_cross_target",
    "model_class",
    "prepare_models",
]

#: alias -> "module:Class". Order is the display order.
MODEL_PATHS: dict[str, str] = {
    "naive": "models.naive:NaiveForecaster",
    "arima": "models.arima:ArimaForecaster",
    "base_effect": "models.base_effect:BaseEffectForecaster",
    "ets": "models.ets:EtsForecaster",
    "prophet": "models.prophet_lny:ProphetLnyForecaster",
    "ridge_ar": "models.ridge_ar:RidgeArForecaster",
    "seasonal_ratio": "models.seasonal_ratio:SeasonalRatioForecaster",
    "ensemble": "models.ensemble:EnsembleForecaster",
    "ensemble_median": "models.ensemble:MedianEnsembleForecaster",
    "dynreg": "models.dynamic_regression:DynamicRegressionForecaster",
    "bridge": "models.bridge:BridgeForecaster",
    "dfm": "models.dfm:DynamicFactorNowcaster",
    "twoyear_blend": "models.two_year_blend:TwoYearBlendForecaster",
    "kr_surprise": "models.korea_surprise:KoreaSurpriseForecaster",
    "seasonal_naive": "models.seasonal_naive:SeasonalNaiveForecaster",
    "seasonal_arima": "models.seasonal_arima:SeasonalArimaForecaster",
    "kr_balance": "models.balance_korea:KoreaBalanceForecaster",
    "identity": "models.identity_member:IdentityBalance",
}


def available_models() -> list[str]:
    return list(MODEL_PATHS)


def model_class(alias: str) -> type[Forecaster]:
    try:
        path = MODEL_PATHS[alias]
    except KeyError:
        known = ", ".join(MODEL_PATHS)
        raise UnknownModelError(f"unknown model {alias!r}; known models: {known}") from None
    module_name, class_name = path.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls


def create_model(alias: str, **kwargs: object) -> Forecaster:
    return model_class(alias)(**kwargs)


def prepare_models(aliases: Iterable[str]) -> None:
    """Load what the first fit of each model of ``aliases`` would (its module, the libraries
    it imports, compiled code: :meth:`Forecaster.prepare`)."""
    for alias in aliases:
        model_class(alias).prepare()


def is_cross_target(alias: str) -> bool:
    """Whether ``alias`` is computed from other targets' forecasts (not fitted on its own)."""
    return bool(getattr(model_class(alias), "cross_target", False))
