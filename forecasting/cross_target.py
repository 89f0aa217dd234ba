"""The cross-target member: the balance identity's rows from the exports and imports
forecasts, at backtest origins and at a live ``as_of``.

The identity (:mod:`forecasting.identity`) turns the two y/y targets' headline forecasts (the
first combiner of their model set, the ensemble) and last year's levels into a balance
forecast. Its rows join the balance's fitted members before the combination, so the balance
ensemble weights it by its past errors like any other member.

- In a backtest, its rows come from the y/y backtests over the balance's reported range (run
  where the store lacks them); the balance's warm-up origins go without the identity.
- Live, they come from the y/y forecasts made at the same ``as_of``, with the y/y backtest
  rows of the periods released before it for the intervals (the joint past errors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

import pandas as pd

from forecasting.identity import IDENTITY_MODEL, identity_at
from models.ensemble import is_combiner
from models.registry import is_cross_target

__all__ = [
    "BALANCE",
    "YOY_INPUTS",
    "headline",
    "identity_in",
    "identity_live_rows",
    "identity_origin_rows",
]

BALANCE = "balance_usd_bn"
#: the targets whose forecasts the identity combines
YOY_INPUTS: tuple[str, ...] = ("exports_yoy", "imports_yoy")


def identity_in(target: str, aliases: Sequence[str]) -> bool:
    """Whether ``aliases`` (the model set for ``target``) has a cross-target member."""
    return target == BALANCE and any(is_cross_target(a) for a in aliases)


def headline(aliases: Sequence[str]) -> str:
    """The model whose forecasts stand for a y/y target: its first combiner, else its first
    model."""
    return next((a for a in aliases if is_combiner(a)), aliases[0])


def identity_origin_rows(
    observations: pd.DataFrame,
    yoy_rows: Mapping[str, pd.DataFrame],
    yoy_aliases: Mapping[str, Sequence[str]],
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The identity's rows at the origins of ``periods`` (default: every origin) that the two
    y/y backtests share (``period, as_of, model, yhat``, bounds, ``error``), from those
    backtests' headline rows; the errors of the periods released before each origin give its
    interval."""
    model = headline(yoy_aliases[YOY_INPUTS[0]])
    ex, im = (_headline_rows(yoy_rows.get(t), model) for t in YOY_INPUTS)
    out = []
    wanted = None if periods is None else set(periods)
    for (period, as_of), ex_rows in ex.groupby(["period", "as_of"], sort=True):
        if wanted is not None and period not in wanted:
            continue
        im_rows = im[(im["period"] == period) & (im["as_of"] == as_of)]
        if im_rows.empty:
            continue
        fc = identity_at(observations, as_of, ex_rows, im_rows, ex, im)
        out.append(fc[fc["period"] == period].assign(as_of=as_of))
    if not out:
        return pd.DataFrame(columns=["period", "as_of", "model", "yhat", "error"])
    return pd.concat(out, ignore_index=True).assign(model=IDENTITY_MODEL, error=None)


def identity_live_rows(
    observations: pd.DataFrame,
    period: str,
    as_of: date,
    yoy_aliases: Mapping[str, Sequence[str]],
    yoy_rows: Mapping[str, pd.DataFrame],
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The identity's rows for every step up to ``period`` forecast at ``as_of``.

    Returns:
        (rows ``model, period, yhat``, bounds, ``error``, ``uses_indicators``; the y/y
        backtest rows the y/y forecasts had to run, by target, for the caller to keep).
    """
    from forecasting.as_of import forecast_as_of

    forecasts, new = {}, {}
    for target in YOY_INPUTS:
        aliases = list(yoy_aliases[target])
        fc = forecast_as_of(
            observations,
            target,
            period,
            as_of,
            aliases,
            yoy_rows.get(target, pd.DataFrame()),
            jobs=jobs,
            progress=progress,
        )
        forecasts[target] = fc.rows[fc.rows["model"] == headline(aliases)]
        new[target] = fc.new_backtest_rows
    model = headline(list(yoy_aliases[YOY_INPUTS[0]]))
    past = [_headline_rows(yoy_rows.get(t), model) for t in YOY_INPUTS]
    rows = identity_at(
        observations, as_of, forecasts[YOY_INPUTS[0]], forecasts[YOY_INPUTS[1]], *past
    )
    rows = rows.assign(model=IDENTITY_MODEL, error=None, uses_indicators=False)
    return rows, new


def _headline_rows(rows: pd.DataFrame | None, model: str) -> pd.DataFrame:
    if rows is None or rows.empty:
        return pd.DataFrame(
            columns=["period", "model", "as_of", "yhat", "yhat_lo_80", "yhat_hi_80", "actual"]
        )
    return rows[rows["model"] == model]
