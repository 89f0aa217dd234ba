"""Use case: how the forecast of one release moved (the nowcast's evolution).

Every forecast the ledger holds for a target's period, one point per recorded job (its
headline row, by as-of date), the consensus polls for the period (the consensus known at
each date is the latest of them), the indicator figures for the months the period covers
with the day each was released, and, between two forecasts, the indicator figures that
arrived in between (what the second one knew that the first did not). Pure over the stores;
reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.series import SERIES
from forecasting.usecases._common import checked_target
from forecasting.usecases.next_release import HEADLINE_FIELDS, headline_row, jsonable
from forecasting.validation import parse_period
from models.periods import covered_months, not_a_target_period

__all__ = ["Evolution", "evolution", "indicator_series"]

POINT_FIELDS = ("as_of", "job_id", "origin", "model", *HEADLINE_FIELDS, "consensus")


def indicator_series() -> list[str]:
    """The leading indicators (series dated by a release rule, not the customs' own)."""
    return [name for name, spec in SERIES.items() if spec.release_rule is not None]


@dataclass(frozen=True)
class Evolution:
    """``points``: one per ledger job (:data:`POINT_FIELDS` + ``mlflow_run_id`` and
    ``arrived``, the indicator figures released since the previous point's as-of);
    ``polls``: ``polled_on, consensus, source, n_economists``; ``indicators``: ``series,
    period, value, released`` for the covered months; ``actual`` and ``released``: the first
    release, once it is in the store."""

    target: str
    period: str
    points: list[dict]
    polls: pd.DataFrame
    indicators: pd.DataFrame
    actual: float | None
    released: date | None

    def as_dict(self) -> dict:
        return jsonable(
            {
                "target": self.target,
                "unit": SERIES[self.target].unit,
                "period": self.period,
                "covers": covered_months(pd.Period(self.period, freq="M")),
                "forecasts": self.points,
                "polls": self.polls.to_dict("records"),
                "indicator_releases": self.indicators.to_dict("records"),
                "actual": self.actual,
                "released": self.released,
            }
        )


def evolution(service, target: str, period: str) -> Evolution:  # noqa: ANN001 - Service
    """The forecasts of ``target``'s ``period`` over time; see the module docstring.

    Raises:
        DataError: an unknown target, a malformed period or one that is not a target period.
    """
    from forecasting.errors import DataError

    checked_target(target)
    p = parse_period(period)
    if p is None:
        raise DataError(f"period: {period!r} is not a period (YYYY-MM)")
    reason = not_a_target_period(p)
    if reason:
        raise DataError(reason)
    period = str(p)
    obs = service.observations.frame()
    indicators = _indicator_rows(obs, p)
    ledger = service.ledger.frame(target=target, period=period)
    points: list[dict] = []
    previous: date | None = None
    for _, job in ledger.sort_values("id").groupby("job_id", sort=False):
        head = headline_row(job)
        if head is None:
            continue
        as_of = head["as_of"]
        point = {k: head.get(k) for k in POINT_FIELDS} | {"mlflow_run_id": head["mlflow_run_id"]}
        new = indicators
        if previous is not None:
            new = new[(new["released"] >= previous) & (new["released"] < as_of)]
        else:
            new = new.iloc[0:0]
        point["arrived"] = new.to_dict("records")
        points.append(point)
        previous = as_of
    polls = service.consensus.frame(target)
    polls = polls[polls["period"] == period].sort_values("polled_on", na_position="first")
    first = first_release_dates(obs, target)
    actual = first_release_actuals(obs, target)
    return Evolution(
        target=target,
        period=period,
        points=points,
        polls=polls.loc[:, ["polled_on", "consensus", "source", "n_economists"]].reset_index(
            drop=True
        ),
        indicators=indicators,
        actual=float(actual[period]) if period in actual.index else None,
        released=first[period] if period in first.index else None,
    )


def _indicator_rows(obs: pd.DataFrame, period: pd.Period) -> pd.DataFrame:
    """First releases of the indicators for the months ``period`` covers, by release date.

    Returns:
        DataFrame with columns ``series, period, value, released``.
    """
    months = {str(period)} | ({str(period - 1)} if ".." in covered_months(period) else set())
    rows = obs[obs["series"].isin(indicator_series()) & obs["period"].isin(months)]
    rows = rows.sort_values(["series", "period", "released"]).drop_duplicates(
        ["series", "period"], keep="first"
    )
    cols = ["series", "period", "value", "released"]
    return rows.sort_values(["released", "series"]).loc[:, cols].reset_index(drop=True)
