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
from forecasting.calibration import DEFAULT_SETTINGS, forecast_errors
from forecasting.calibration_frame import calibrate_frame
from forecasting.combination import combined_rows, known_errors, rule_of, split_models
from forecasting.cross_target import identity_in, identity_live_rows
from forecasting.errors import ModelError
from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.origin import MemberForecasts, member_forecasts
from models.registry import is_cross_target

__all__ = ["CALIBRATION", "AsOfForecast", "calibrated_path", "forecast_as_of", "history_at"]

#: how every published interval is calibrated (chosen on 2010–2018)
CALIBRATION = DEFAULT_SETTINGS


@dataclass
class AsOfForecast:
    """``rows``: every model's rows (``model, period, yhat``, bounds, ``error``,
    ``uses_indicators``) for each step up to the period, combiners included; ``members``: the
    members' fit at the origin; ``errors``: the member errors the combiners were weighted by;
    ``weights``/``centred_on``: the weighted combiner's weights and Jan–Feb centring;
    ``new_backtest_rows``: origins run here because the given backtest rows lacked them;
    ``new_inputs``: the same for the targets a cross-target member combines; ``history``:
    the pseudo-real-time rows (with ``actual``) the weights and intervals came from."""

    rows: pd.DataFrame
    members: MemberForecasts
    errors: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    centred_on: dict[str, str] = field(default_factory=dict)
    new_backtest_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    new_inputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)


def history_at(
    observations: pd.DataFrame,
    target: str,
    as_of: date,
    aliases: Sequence[str],
    backtest_rows: pd.DataFrame,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pseudo-real-time rows of ``aliases`` (combiners included) for the periods released
    before ``as_of`` that a forecast then weights and calibrates on (the longer of the
    combination and calibration windows), running the origins ``backtest_rows`` lack.

    Returns:
        (those rows with ``actual``, the backtest rows run here).
    """
    fitted, combiners = split_models(aliases)
    window = max([rule_of(a).window for a in combiners] + [CALIBRATION.window])
    released = first_release_dates(observations, target)
    before = sorted(p for p, d in released.items() if d < as_of)[-window:]
    rows = backtest_rows
    if len(rows) and "target" in rows:
        rows = rows[rows["target"] == target]
    # a cross-target member's rows come in with its target's backtest, not from a refit here
    need = {a for a in aliases if not is_cross_target(a)}
    have = rows.groupby("period")["model"].agg(set) if len(rows) else pd.Series(dtype=object)
    missing = [p for p in before if p not in have.index or not need <= have[p]]
    new = pd.DataFrame()
    if missing:
        new = run_backtest(
            observations,
            target,
            min(missing),
            max(missing),
            list(aliases),
            jobs=jobs,
            progress=progress,
            keep_warmup=True,
        )
    parts = [r for r in (rows, new) if len(r)]
    if not parts:
        return pd.DataFrame(columns=["model", "period", "as_of", "yhat", "actual"]), new
    rows = pd.concat(parts, ignore_index=True).drop_duplicates(["period", "model"], keep="first")
    rows = rows[rows["period"].isin(before)]
    return rows.assign(actual=rows["period"].map(first_release_actuals(observations, target))), new


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
    history, new = history_at(
        observations, target, as_of, aliases, backtest_rows, jobs=jobs, progress=progress
    )
    released = first_release_dates(observations, target)
    errors = known_errors(history, released, as_of)
    out, weights, centred = members.rows, {}, {}
    if combiners:
        comb = combined_rows(out, combiners, errors, str(min(out["period"])))
        weights, centred = next(iter(comb.weights.values()), {}), comb.centred_on
        out = pd.concat([out, comb.rows], ignore_index=True)
    out = calibrated_path(out, history, released, as_of)
    return AsOfForecast(out, members, errors, weights, centred, new, new_inputs, history)


def calibrated_path(
    rows: pd.DataFrame, history: pd.DataFrame, released: pd.Series, as_of: date
) -> pd.DataFrame:
    """A forecast's path rows with each model's intervals calibrated on its errors in
    ``history`` known at ``as_of`` (the h-th step of a path on its h-step errors where it has
    enough, else on one-step errors widened by sqrt(h); :mod:`forecasting.calibration`)."""
    if rows.empty:
        return rows
    path = rows.assign(as_of=as_of)
    order = path["period"].astype(str)
    path["horizon"] = order.groupby(path["model"]).rank(method="dense").astype(int)
    errors = forecast_errors(history, released) if len(history) else None
    if errors is None or errors.empty:
        return rows.assign(calibrated=False)
    out = calibrate_frame(path, released, CALIBRATION, errors=errors)
    return out.drop(columns=["as_of", "horizon", "crps"])
