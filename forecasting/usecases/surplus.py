"""Use case: the year's trade surplus as known at a date (``forecasting surplus``).

The months released so far and their sum, the remaining months' forecasts, the full-year
projection with 80% and 95% intervals from joint simulated paths, last year's total and the
record, P(full year > record), and the full-year growth of exports and imports
(:mod:`forecasting.surplus` holds the computation; this module reads the store).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd

from forecasting.errors import DataError
from forecasting.levels import BALANCE_SERIES, LEVEL_GROWTH, solve_levels
from forecasting.service import Service
from forecasting.surplus import (
    DRAWS,
    MONTH_CORRELATION,
    SurplusProjection,
    project_surplus,
    surplus_year_check,
    unreleased_periods,
)
from models.base import Forecaster
from models.periods import target_periods

__all__ = [
    "default_surplus_year",
    "first_release_balances",
    "remaining_forecasts",
    "surplus",
    "surplus_projection",
]


def surplus(
    service: Service, *, year: int | None = None, as_of: date | None = None
) -> SurplusProjection:
    """The surplus of ``year`` (default: the year of the latest balance) with the figures
    released before ``as_of`` (default: tomorrow, everything released up to today).

    Raises:
        DataError: a year with no data, or beyond the forecast horizon.
    """
    as_of = as_of or date.today() + timedelta(days=1)
    obs = service.observations.frame()
    year = year if year is not None else default_surplus_year(obs, as_of)
    return surplus_projection(obs, year, as_of)


def first_release_balances(observations: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Each period's first-release balance among the rows released before ``as_of``. Pure.

    Returns:
        DataFrame with columns ``period, value, released``, sorted by period.
    """
    rows = observations[
        (observations["series"] == BALANCE_SERIES) & (observations["released"] < as_of)
    ]
    rows = rows.sort_values(["period", "released"]).drop_duplicates("period", keep="first")
    return rows.loc[:, ["period", "value", "released"]].reset_index(drop=True)


def default_surplus_year(observations: pd.DataFrame, as_of: date) -> int:
    """The year of the latest balance released before ``as_of`` (``surplus`` without
    ``--year``: right after a December release, the year just completed).

    Raises:
        DataError: no balance was released before ``as_of``.
    """
    balances = first_release_balances(observations, as_of)
    if balances.empty:
        raise DataError(f"no balance_usd_bn figures released before {as_of}: nothing to sum")
    return int(str(balances["period"].max())[:4])


def remaining_forecasts(
    observations: pd.DataFrame,
    periods: Sequence[str],
    as_of: date,
    model: Forecaster | None = None,
) -> pd.DataFrame:
    """Balance forecasts of ``periods`` (the unreleased target periods of a year, in order)
    from the information set at ``as_of``, by ``model`` (default ``seasonal_arima``, chosen
    on 2010–2018) fitted on the balance history before the first of them.

    Returns:
        the model's forecast frame (``period, yhat, yhat_lo_80, ...``) restricted to
        ``periods``.
    """
    from forecasting.observations import information_set, target_history
    from models.seasonal_arima import SeasonalArimaForecaster

    history = target_history(information_set(observations, as_of), BALANCE_SERIES)
    history = history[history.index < pd.Period(periods[0], freq="M")].dropna()
    if history.empty:
        raise DataError(f"no balance_usd_bn history before {periods[0]} as of {as_of}")
    history = history.reindex(pd.period_range(history.index[0], history.index[-1], freq="M"))
    horizon = len(target_periods(history.index[-1] + 1, pd.Period(periods[-1], freq="M")))
    model = SeasonalArimaForecaster() if model is None else model
    frame = model.fit(history).predict(horizon)
    return frame[frame["period"].isin(list(periods))].reset_index(drop=True)


def surplus_projection(
    observations: pd.DataFrame,
    year: int,
    as_of: date,
    *,
    model: Forecaster | None = None,
    yoy_forecasts: Mapping[str, Mapping[str, float]] | None = None,
    rho: float = MONTH_CORRELATION,
    draws: int = DRAWS,
    seed: int = 0,
) -> SurplusProjection:
    """:func:`project_surplus` on an observation frame (any vintages) as known at ``as_of``:
    the first-release balances, ``remaining_forecasts`` for the unreleased periods, the
    levels the figures pin down (:func:`forecasting.levels.solve_levels`) and the first-release
    y/y. Pure over the frame (no store, no tracking).

    Raises:
        DataError: a year with no data or beyond the horizon.
    """
    from forecasting.observations import first_release_actuals

    known = observations[observations["released"] < as_of]
    balances = first_release_balances(observations, as_of)
    values = dict(zip(balances["period"].astype(str), balances["value"], strict=True))
    surplus_year_check(year, values, as_of)
    todo = unreleased_periods(year, values)
    remaining = remaining_forecasts(observations, todo, as_of, model) if todo else None
    solved = solve_levels(known)
    levels = {
        s: dict(zip(g["period"], g["value"], strict=True)) for s, g in solved.groupby("series")
    }
    yoy = {s: first_release_actuals(known, s).to_dict() for s in LEVEL_GROWTH.values()}
    return project_surplus(
        year,
        as_of,
        balances,
        remaining,
        levels=levels,
        yoy=yoy,
        yoy_forecasts=yoy_forecasts,
        rho=rho,
        draws=draws,
        seed=seed,
    )
