"""A forecast as of a date, from frames alone: the one computation behind every published
figure.

:func:`forecast_as_of` fits the fitted models at the origin (:func:`forecasting.origin.
member_forecasts`) and forms each combiner by its declared rule over the member errors known
at ``as_of`` (:func:`forecasting.combination.combined_rows`). Those errors come from
pseudo-real-time backtest rows; the origins the given rows lack among the last ``window``
released periods are run here (and returned, so that the caller can keep them). The live
forecast (:mod:`forecasting.usecases.forecast`) and the registered model
(:class:`forecasting.published.PublishedModel`) both call it: what MLflow holds is what the
service printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from forecasting.backtest import run_backtest
from forecasting.combination import combined_rows, known_errors, rule_of, split_models
from forecasting.cross_target import identity_in, identity_live_rows
from forecasting.errors import ModelError
from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.origin import MemberForecasts, member_forecasts
from models.registry import is_cross_target

__all__ = ["AsOfForecast", "forecast_as_of", "member_errors_at"]


@dataclass
class AsOfForecast:
    """``rows``: every model's rows (``model, period, yhat``, bounds, ``error``,
    ``uses_indicators``) for each step up to the period, combiners included; ``members``: the
    members' fit at the origin; ``errors``: the member errors the combiners were weighted by;
    ``weights``/``centred_on``: the weighted combiner's weights and Jan–Feb centring;
    ``new_backtest_rows``: origins run here because the given backtest rows lacked them;
    ``new_inputs``: the same for the targets a cross-target member combines."""

    rows: pd.DataFrame
    members: MemberForecasts
    errors: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    centred_on: dict[str, str] = field(default_factory=dict)
    new_backtest_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    new_inputs: dict[str, pd.DataFrame] = field(default_factory=dict)


def member_errors_at(
    observations: pd.DataFrame,
    target: str,
    as_of: date,
    fitted: Sequence[str],
    combiners: Sequence[str],
    backtest_rows: pd.DataFrame,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The member errors known at ``as_of`` over the last combination window of released
    periods, running the origins ``backtest_rows`` lack.

    Returns:
        (errors ``model, period, abs_error``, the backtest rows run here).
    """
    window = max((rule_of(a).window for a in combiners), default=0)
    released = first_release_dates(observations, target)
    before = sorted(p for p, d in released.items() if d < as_of)[-window:] if window else []
    rows = backtest_rows
    if len(rows) and "target" in rows:
        rows = rows[rows["target"] == target]
    have = rows[rows["model"].isin(fitted)] if len(rows) else None
    own = {a for a in fitted if not is_cross_target(a)}  # a cross-target member's rows come in
    missing = [
        p for p in before if have is None or not own <= set(have.loc[have["period"] == p, "model"])
    ]
    new = pd.DataFrame()
    if missing:
        new = run_backtest(
            observations,
            target,
            min(missing),
            max(missing),
            list(fitted),
            jobs=jobs,
            progress=progress,
            warmup=0,
        )
        new = new[new["period"].isin(missing)]
    rows = pd.concat([r for r in (have, new) if r is not None and len(r)], ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=["model", "period", "abs_error"]), new
    rows = rows[rows["period"].isin(before)].drop_duplicates(["period", "model"], keep="last")
    rows = rows.assign(actual=rows["period"].map(first_release_actuals(observations, target)))
    return known_errors(rows, released, as_of), new


def forecast_as_of(
    observations: pd.DataFrame,
    target: str,
    period: str,
    as_of: date,
    aliases: Sequence[str],
    backtest_rows: pd.DataFrame,
    *,
    members: MemberForecasts | None = None,
    inputs: Mapping[str, tuple[Sequence[str], pd.DataFrame]] | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> AsOfForecast:
    """Forecast ``period`` with the figures released before ``as_of``, every model of
    ``aliases``; see the module docstring.

    ``members``: the members' fit at this very origin, when the caller already has it (a
    registered model keeps its own). ``inputs``: for a cross-target member (the balance
    identity), the model set and backtest rows of each target it combines
    ({target: (aliases, rows)}).

    Raises:
        ModelError: a cross-target member without its inputs.
    """
    fitted, combiners = split_models(aliases)
    new_inputs: dict[str, pd.DataFrame] = {}
    if members is None:
        members = member_forecasts(observations, target, period, as_of, fitted, keep_fitted=True)
        if identity_in(target, fitted):
            if inputs is None:
                raise ModelError(f"the {target} identity needs the y/y targets' model sets")
            extra, new_inputs = identity_live_rows(
                observations,
                period,
                as_of,
                {t: a for t, (a, _) in inputs.items()},
                {t: r for t, (_, r) in inputs.items()},
                jobs=jobs,
                progress=progress,
            )
            members.rows = pd.concat([members.rows, extra], ignore_index=True)
    rows = members.rows
    if not combiners:
        empty = pd.DataFrame(columns=["model", "period", "abs_error"])
        return AsOfForecast(rows, members, empty, new_inputs=new_inputs)
    errors, new = member_errors_at(
        observations, target, as_of, fitted, combiners, backtest_rows, jobs=jobs, progress=progress
    )
    first = str(min(rows["period"]))
    comb = combined_rows(rows, combiners, errors, first)
    weights = next(iter(comb.weights.values()), {})
    out = pd.concat([rows, comb.rows], ignore_index=True)
    return AsOfForecast(out, members, errors, weights, comb.centred_on, new, new_inputs)
