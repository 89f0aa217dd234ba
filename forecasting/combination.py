"""The one combination path: combiner rows from member rows and the errors known then.

Every combined forecast the service makes or records goes through :func:`combined_rows`: the
backtest at each origin (:func:`combine_at_origins`), the live forecast and the registered
(published) model. What a combiner does is declared on its model class
(:attr:`models.ensemble.EnsembleForecaster.rule`, :meth:`~models.ensemble.EnsembleForecaster.
member_aliases`); nothing here decides weights, members or the Jan–Feb rule on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from forecasting.observations import first_release_actuals, first_release_dates
from models.base import FORECAST_COLUMNS
from models.ensemble import CombinationRule, is_combiner
from models.errors import ModelError
from models.registry import model_class

__all__ = [
    "CombinedRows",
    "combine_at_origins",
    "combined_rows",
    "known_errors",
    "rule_of",
    "split_models",
]


def split_models(aliases: Sequence[str]) -> tuple[list[str], list[str]]:
    """(fitted models, combiners) of a model set, every alias checked against the registry.

    Raises:
        UnknownModelError: an alias not in the registry (the message lists the known ones).
    """
    combiners = [a for a in aliases if is_combiner(a)]  # is_combiner checks the alias
    return [a for a in aliases if a not in combiners], combiners


def rule_of(alias: str) -> CombinationRule:
    """The combination rule a combining model declares."""
    return model_class(alias).rule  # type: ignore[attr-defined]


def known_errors(frame: pd.DataFrame, released: pd.Series, as_of: date) -> pd.DataFrame:
    """``model, period, abs_error`` of the fitted models' rows in ``frame`` (which has an
    ``actual`` column) whose period was first released (``released``: period -> date) before
    ``as_of``: the errors a combination formed at ``as_of`` may weight by."""
    members = frame["model"].map(lambda m: not is_combiner(m))
    f = frame[frame["yhat"].notna() & frame["actual"].notna() & members].copy()
    f = f[f["period"].map(released) < as_of]
    f["abs_error"] = (f["yhat"] - f["actual"]).abs()
    return f.loc[:, ["model", "period", "abs_error"]].reset_index(drop=True)


@dataclass(frozen=True)
class CombinedRows:
    """What :func:`combined_rows` returns: the combiners' ``rows`` (``model, period, yhat``,
    bounds, ``error``), the weights each weighted combiner used ({combiner: {member: w}}) and
    the Jan–Feb rule's centring ({period: member}, of the weighted combiner)."""

    rows: pd.DataFrame
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    centred_on: dict[str, str] = field(default_factory=dict)


def combined_rows(
    members: pd.DataFrame,
    combiners: Sequence[str],
    errors: pd.DataFrame,
    first: str,
    *,
    rules: Mapping[str, CombinationRule] | None = None,
) -> CombinedRows:
    """Each combiner's rows over the member rows, by its declared rule.

    Args:
        members: member rows (``model, period, yhat``, bounds, ``uses_indicators``); rows with
            NaN ``yhat`` are failed members, ignored.
        combiners: the combining aliases to form.
        errors: member errors known when the forecast is made (:func:`known_errors`).
        first: the first period forecast (the origin's target in a backtest).
        rules: per-combiner rule variants (evaluation only); default each one's declared rule.

    A combiner with no member forecast gets one row at ``first`` with ``error`` set.
    """
    parts: list[pd.DataFrame] = []
    weights: dict[str, dict[str, float]] = {}
    centred: dict[str, str] = {}
    for alias in combiners:
        rule = (rules or {}).get(alias) or rule_of(alias)
        try:
            comb = rule.combine(members, rule.weights(errors), first)
        except ModelError as exc:
            parts.append(pd.DataFrame([{"model": alias, "period": first, "error": str(exc)}]))
            continue
        parts.append(comb.frame.assign(model=alias, error=None))
        if rule.how == "weighted":
            weights[alias] = comb.weights
            centred.update(comb.centred_on)
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return CombinedRows(rows, weights, centred)


def combine_at_origins(
    frame: pd.DataFrame,
    combiners: Sequence[str],
    observations: pd.DataFrame,
    target: str,
    *,
    actual: pd.Series | None = None,
    rules: Mapping[str, CombinationRule] | None = None,
) -> pd.DataFrame:
    """Combiner rows at every origin of a backtest's member rows (``frame``: ``period, as_of,
    model, yhat``, bounds), each weighted by the member errors known at that origin.

    ``actual`` is :func:`first_release_actuals` of ``target`` (computed if not given).

    Returns:
        the combiner rows with ``target`` and ``as_of``, in origin order.
    """
    if actual is None:
        actual = first_release_actuals(observations, target)
    released = first_release_dates(observations, target)
    scored = frame.assign(actual=frame["period"].map(actual))
    # every error once, with its period's release date; each origin takes those before it
    errors = known_errors(scored, released, date.max)
    errors_released = errors["period"].map(released)
    parts: list[pd.DataFrame] = []
    for (period, as_of), members in frame.groupby(["period", "as_of"], sort=True):
        past = errors[errors_released < as_of]
        comb = combined_rows(members, combiners, past, str(period), rules=rules)
        parts.append(comb.rows.assign(target=target, as_of=as_of))
    return pd.concat(parts, ignore_index=True)


#: the forecast columns a combiner row carries (with ``model`` and ``error``)
COMBINED_COLUMNS: tuple[str, ...] = ("model", *FORECAST_COLUMNS, "error")
