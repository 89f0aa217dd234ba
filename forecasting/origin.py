"""What is computed at one forecast origin: the members' forecasts from an information set.

An origin is a target, the period to forecast and ``as_of``: models see only
``information_set(observations, as_of)`` (figures released strictly before ``as_of``). Every
fitted model is refitted there and forecasts each target period from the last known one up to
the period; the nowcast models get one indicator frame built for that origin. The backtest
runs this at every origin, the live forecast at today's, and the registered model at the one
it is asked for: one code path.

A model that fails keeps a row with NaN ``yhat`` and its reason in ``error``; it is never
dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from forecasting.indicators import indicator_exog
from forecasting.observations import information_set, target_history
from models.base import Forecaster
from models.errors import ModelError
from models.periods import next_target_periods
from models.registry import model_class
from models.shared_inputs import shared_inputs

__all__ = ["MemberForecasts", "Origin", "exog_indicators", "member_forecasts"]


@dataclass(frozen=True)
class Origin:
    target: str
    period: str
    as_of: date


@dataclass
class MemberForecasts:
    """The members' forecasts at one origin.

    ``rows``: ``model, period, yhat, yhat_lo_80, ..., error, uses_indicators``, one row per
    model and step (a failed model: one row at the origin's period, NaN ``yhat``, ``error``
    set; ``uses_indicators``: whether the fitted model used indicators). ``exog``: the
    indicator frame the exog-capable models saw (None if none ran). ``history``: the target's
    history as of the origin. ``fitted``: the fitted models, when asked to keep them.
    """

    rows: pd.DataFrame
    exog: pd.DataFrame | None
    history: pd.Series
    fitted: dict[str, Forecaster] = field(default_factory=dict)


def exog_indicators(aliases: Sequence[str]) -> list[str]:
    """Every indicator the exog-capable models among ``aliases`` use by default, in order."""
    names: list[str] = []
    for alias in aliases:
        cls = model_class(alias)
        if cls.supports_exog:
            for name in getattr(cls(), "indicators", ()):
                if name not in names:
                    names.append(name)
    return names


def member_forecasts(
    observations: pd.DataFrame,
    target: str,
    period: str,
    as_of: date,
    aliases: Sequence[str],
    *,
    keep_fitted: bool = False,
) -> MemberForecasts:
    """Fit each model of ``aliases`` (none a combiner) on the information set as of ``as_of``
    and forecast every target period from the last known one up to ``period``. A cross-target
    member (the balance identity) is not fitted here: its rows come from
    :mod:`forecasting.cross_target`."""
    info = information_set(observations, as_of)
    target_p = pd.Period(period, freq="M")
    history = target_history(info, target)
    history = history[history.index < target_p]
    if history.dropna().empty:
        rows = pd.DataFrame(
            [
                {"model": a, "period": period, "error": f"no {target} released before {as_of}"}
                for a in aliases
            ]
        )
        return MemberForecasts(rows, None, history)
    history = history.loc[: history.last_valid_index()]
    horizon = len([p for p in next_target_periods(history.index[-1], 240) if p <= target_p])
    exog = None
    parts: list[pd.DataFrame] = []
    fitted: dict[str, Forecaster] = {}
    with shared_inputs():  # the indicator inputs the nowcast models share, prepared once
        for alias in aliases:
            cls = model_class(alias)
            if getattr(cls, "cross_target", False):
                continue  # computed from the other targets' forecasts (forecasting.cross_target)
            if cls.supports_exog and exog is None:
                exog = indicator_exog(info, exog_indicators(aliases), target_p)
            x = exog if cls.supports_exog else None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = cls().fit(history, x)
                    fc = model.predict(horizon, x)
            except ModelError as exc:
                parts.append(pd.DataFrame([{"model": alias, "period": period, "error": str(exc)}]))
                continue
            nowcast = bool(getattr(model, "used_indicators", ()))
            parts.append(fc.assign(model=alias, error=None, uses_indicators=nowcast))
            if keep_fitted:
                fitted[alias] = model
    return MemberForecasts(pd.concat(parts, ignore_index=True), exog, history, fitted)
