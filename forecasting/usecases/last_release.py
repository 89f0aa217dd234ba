"""Use case: the last release that has both a consensus and an actual, against the models.

Per target, the latest period whose first release is in the store (as known on ``today``)
and that had a consensus poll before that release. Each model's forecast made before it is
taken, in this order, from

1. the forecast ledger (what the service said before the release: each model's last row);
2. the stored backtest rows of the current data at that period's origin, the eve of the
   release (the same member fits and combination :func:`~forecasting.usecases.
   forecast_release` makes at that ``as_of``; kept by every backtest and forecast);
3. :func:`~forecasting.usecases.forecast_release` as of the eve (it runs what is missing and
   keeps it).

Each row gets the model's surprise view against the consensus, P(beat) (the probability the
model gave the print to beat the consensus) and who was closer, the model or the consensus.
Pure over the stores; no printing, no MLflow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.backtest import data_fingerprint
from forecasting.combination import split_models
from forecasting.compare import surprise_probability
from forecasting.consensus import consensus_at
from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.service import Service
from forecasting.usecases._common import checked_target, model_set, models_for

__all__ = ["LastReleaseResult", "ReleaseComparison", "last_release"]

ROW_COLUMNS = (
    "model",
    "as_of",
    "yhat",
    "yhat_lo_80",
    "yhat_hi_80",
    "model_minus_consensus",
    "p_beat",
    "abs_error",
    "consensus_abs_error",
    "closer",
)
MADE_BY = {
    "ledger": "the forecast ledger",
    "backtest": "the backtest at the eve of the release",
    "forecast": "a forecast as of the eve of the release",
}


@dataclass(frozen=True)
class ReleaseComparison:
    """One target's last release with a consensus.

    ``rows``: one row per model (:data:`ROW_COLUMNS`; ``closer`` is ``model``, ``consensus``
    or ``tie``); ``source``: the poll; ``made_by``: where the forecasts come from (a key of
    :data:`MADE_BY`); ``eve``: the day before the release (the as-of of a forecast made then).
    """

    target: str
    period: str
    release: date
    actual: float
    consensus: float
    source: str
    eve: date
    made_by: str
    rows: pd.DataFrame

    @property
    def headline(self) -> pd.Series | None:
        """The first combiner's row (the ensemble), else the first model's."""
        ok = self.rows[self.rows["yhat"].notna()]
        if ok.empty:
            return None
        _, combiners = split_models(list(ok["model"]))
        first = combiners[0] if combiners else ok["model"].iloc[0]
        return ok[ok["model"] == first].iloc[0]

    def as_dict(self) -> dict:
        rows = self.rows.astype({"as_of": str}).replace({np.nan: None})
        return {
            "target": self.target,
            "period": self.period,
            "release_date": self.release.isoformat(),
            "actual": self.actual,
            "consensus": self.consensus,
            "consensus_source": self.source,
            "eve": self.eve.isoformat(),
            "forecasts_from": self.made_by,
            "models": rows.to_dict("records"),
        }


@dataclass(frozen=True)
class LastReleaseResult:
    """The comparison per target (targets without any release with a consensus are left
    out); ``stale``: {target: its last polled period} for targets whose last poll is older
    than the recent window (their comparison is not recomputed on the first screen)."""

    today: date
    releases: tuple[ReleaseComparison, ...]
    stale: dict[str, str] = field(default_factory=dict)

    def by_period(self) -> dict[str, list[ReleaseComparison]]:
        """The comparisons grouped by period (targets of one release together), latest
        first."""
        out: dict[str, list[ReleaseComparison]] = {}
        for r in sorted(self.releases, key=lambda r: r.period, reverse=True):
            out.setdefault(r.period, []).append(r)
        return out

    def as_dict(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "releases": [r.as_dict() for r in self.releases],
            "no_recent_poll": self.stale,
        }


def last_release(
    service: Service,
    *,
    today: date,
    targets: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LastReleaseResult:
    """For each target (default: the configured ones), the last release with a consensus and
    an actual, and each model's forecast made before it; see the module docstring.

    Raises:
        DataError: an unknown target.
        ModelError: an unknown model alias (or a model failing in a forecast it has to make).
    """
    out, stale = [], {}
    oldest = today - timedelta(days=31 * service.settings.backtest.recent_window)
    for target in targets or service.settings.targets.names:
        found = _last_polled_release(service, checked_target(target), today)
        if found is None:
            continue
        period, released, actual, consensus, source = found
        if released < oldest:  # e.g. the balance, polled 2016-2018 only
            stale[target] = period
            continue
        eve = released - timedelta(days=1)
        made_by, rows = _forecasts_before(service, target, period, eve, today, models, progress)
        out.append(
            ReleaseComparison(
                target=target,
                period=period,
                release=released,
                actual=actual,
                consensus=consensus,
                source=source,
                eve=eve,
                made_by=made_by,
                rows=_scored(rows, actual, consensus),
            )
        )
    return LastReleaseResult(today, tuple(out), stale)


def _last_polled_release(
    service: Service, target: str, today: date
) -> tuple[str, date, float, float, str] | None:
    """(period, release date, first-release actual, consensus known before the release,
    poll source) of the latest such period, or None."""
    obs = service.observations.frame()
    obs = obs[obs["released"] <= today]
    released = first_release_dates(obs, target)
    actuals = first_release_actuals(obs, target)
    polls = service.consensus.frame(target)
    for period in sorted(set(polls["period"]) & set(released.index), reverse=True):
        best = consensus_at(polls[polls["period"] == period], released[period])
        if best.empty:
            continue
        row = best.iloc[0]
        return (
            period,
            released[period],
            float(actuals[period]),
            float(row["consensus"]),
            str(row["source"]),
        )
    return None


def _forecasts_before(
    service: Service,
    target: str,
    period: str,
    eve: date,
    today: date,
    models: Sequence[str] | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[str, pd.DataFrame]:
    """Where the forecasts come from and the rows (``model, as_of, yhat, yhat_lo_80,
    yhat_hi_80, p_beat``: P(beat) as it was said or computed then, NaN where unknown)."""
    cols = ["model", "as_of", "yhat", "yhat_lo_80", "yhat_hi_80", "p_beat"]
    ledger = service.ledger.frame(target=target, period=period)
    ledger = ledger[ledger["yhat"].notna()]
    if not ledger.empty:
        last = ledger.sort_values(["as_of", "id"]).drop_duplicates("model", keep="last")
        return "ledger", last.sort_values("id").loc[:, cols].reset_index(drop=True)
    aliases = model_set(service, target, models_for(target, models))
    stored = service.backtests.load(data_fingerprint(service.observations.frame()), target)
    at = stored[(stored["period"] == period) & (stored["as_of"] == eve)]
    at = at[at["model"].isin(aliases)].drop_duplicates("model", keep="last")
    if set(aliases) <= set(at["model"]):
        order = {a: i for i, a in enumerate(aliases)}
        at = at.assign(_o=at["model"].map(order)).sort_values("_o")
        return "backtest", at.reindex(columns=cols).reset_index(drop=True)
    from forecasting.usecases.forecast import forecast_release

    fc = forecast_release(
        service, target, period=period, as_of=eve, today=today, models=aliases, progress=progress
    )
    return "forecast", fc.rows.assign(as_of=fc.as_of).loc[:, cols].reset_index(drop=True)


def _scored(rows: pd.DataFrame, actual: float, consensus: float) -> pd.DataFrame:
    """``rows`` with the surprise view, P(beat), the errors and who was closer. Pure.

    Returns:
        DataFrame with :data:`ROW_COLUMNS`.
    """
    f = rows.copy()
    for c in ("yhat", "yhat_lo_80", "yhat_hi_80"):
        f[c] = pd.to_numeric(f[c]).astype(float)
    f["model_minus_consensus"] = f["yhat"] - consensus
    gauss = surprise_probability(f["yhat"], f["yhat_lo_80"], f["yhat_hi_80"], consensus)
    said = pd.to_numeric(f["p_beat"], errors="coerce") if "p_beat" in f else None
    f["p_beat"] = gauss if said is None else said.fillna(pd.Series(gauss, index=f.index))
    f["abs_error"] = (f["yhat"] - actual).abs()
    f["consensus_abs_error"] = abs(consensus - actual)
    f["closer"] = np.select(
        [
            f["yhat"].isna(),
            f["abs_error"] < f["consensus_abs_error"],
            f["abs_error"] == f["consensus_abs_error"],
        ],
        ["–", "model", "tie"],
        default="consensus",
    )
    return f.loc[:, list(ROW_COLUMNS)].reset_index(drop=True)
