"""Use case: the track record of a target's last releases (model, consensus, actual, who was
closer).

For each of the last ``count`` periods released by ``today``: the first-release actual, the
consensus known before the release (the latest poll dated before it, Bloomberg first) and
the ensemble's forecast made before it, taken from the forecast ledger (the last recorded
job with an as-of on or before the release day) or else from the stored backtest at the eve
of the release (the forecast the service would have made then; the row stored last for that
origin, of whatever data: it uses only the figures released before the eve). Pure over the
stores; reads only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from forecasting.consensus import consensus_at
from forecasting.observations import first_release_actuals, first_release_dates
from forecasting.series import SERIES
from forecasting.usecases._common import checked_target, model_set
from forecasting.usecases.next_release import headline_row, jsonable
from forecasting.usecases.poll_recency import PollRecency, poll_recency

__all__ = ["TRACK_RECORD_COLUMNS", "TrackRecord", "track_record"]

TRACK_RECORD_COLUMNS = (
    "period",
    "released",
    "actual",
    "model",
    "forecast",
    "as_of",
    "forecast_from",
    "consensus",
    "consensus_source",
    "closer",
    "mlflow_run_id",
)


@dataclass(frozen=True)
class TrackRecord:
    """``rows``: :data:`TRACK_RECORD_COLUMNS`, latest release first (``forecast_from``:
    ``ledger``, ``backtest`` or None; ``closer``: ``model``, ``consensus``, ``tie`` or None
    without both a forecast and a poll); ``polls``: how recent the target's last poll is,
    seen from ``today``'s month."""

    target: str
    today: date
    rows: pd.DataFrame
    polls: PollRecency

    @property
    def wins(self) -> tuple[int, int]:
        """(releases where the model was closer, releases with both a forecast and a poll)."""
        judged = self.rows[self.rows["closer"].isin(["model", "consensus", "tie"])]
        return int((judged["closer"] == "model").sum()), len(judged)

    @property
    def consensus_note(self) -> str | None:
        """What stands in for the consensus column when no release in it had a poll (the
        balance: "no recent consensus poll ..."); None when one had."""
        if self.rows["consensus"].notna().any():
            return None
        return self.polls.note() if not self.polls.recent else "no poll for these releases"

    def as_dict(self) -> dict:
        won, judged = self.wins
        return jsonable(
            {
                "target": self.target,
                "unit": SERIES[self.target].unit,
                "today": self.today,
                "releases": self.rows.astype(object)
                .where(self.rows.notna(), None)
                .to_dict("records"),
                "model_closer": won,
                "judged": judged,
                "consensus_note": self.consensus_note,
                **self.polls.as_dict(),
            }
        )


def track_record(
    service,  # noqa: ANN001 - forecasting.service.Service
    target: str,
    *,
    today: date,
    count: int = 12,
) -> TrackRecord:
    """The last ``count`` releases of ``target``; see the module docstring.

    Raises:
        DataError: an unknown target.
    """
    checked_target(target)
    obs = service.observations.frame()
    obs = obs[obs["released"] <= today]
    released = first_release_dates(obs, target)
    actuals = first_release_actuals(obs, target)
    periods = sorted(released.index)[-count:][::-1]
    polls = service.consensus.frame(target)
    ledger = service.ledger.frame(target=target)
    stored = service.backtests.latest(target)
    order = {a: i for i, a in enumerate(model_set(service, target))}
    rows = []
    for period in periods:
        day = released[period]
        said = _from_ledger(ledger, period, day)
        source = "ledger" if said is not None else None
        if said is None:
            said = _from_backtest(stored, period, day - timedelta(days=1), order)
            source = None if said is None else "backtest"
        best = consensus_at(polls[polls["period"] == period], day)
        cons = None if best.empty else best.iloc[0]
        actual = float(actuals[period])
        forecast = None if said is None else float(said["yhat"])
        rows.append(
            {
                "period": period,
                "released": day,
                "actual": actual,
                "model": None if said is None else said["model"],
                "forecast": forecast,
                "as_of": None if said is None else said["as_of"],
                "forecast_from": source,
                "consensus": None if cons is None else float(cons["consensus"]),
                "consensus_source": None if cons is None else str(cons["source"]),
                "closer": _closer(forecast, None if cons is None else cons["consensus"], actual),
                "mlflow_run_id": None if said is None else said.get("mlflow_run_id"),
            }
        )
    frame = pd.DataFrame(rows, columns=list(TRACK_RECORD_COLUMNS))
    month = str(pd.Period(today, freq="M"))
    return TrackRecord(target, today, frame, poll_recency(service, target, month))


def _from_ledger(ledger: pd.DataFrame, period: str, day: date) -> pd.Series | None:
    """The headline of the last job recorded for ``period`` with an as-of by ``day``."""
    f = ledger[(ledger["period"] == period) & (ledger["as_of"] <= day)]
    if f.empty:
        return None
    last = f.loc[f["id"].idxmax(), "job_id"]
    return headline_row(f[f["job_id"] == last].sort_values("id"))


def _from_backtest(
    stored: pd.DataFrame, period: str, eve: date, order: dict[str, int]
) -> pd.Series | None:
    """The headline of the stored backtest rows at ``period``'s eve, in model-set order."""
    f = stored[(stored["period"] == period) & (stored["as_of"] == eve)]
    f = f[f["model"].isin(order)]
    if f.empty:
        return None
    f = f.assign(_o=f["model"].map(order)).sort_values("_o", kind="stable")
    return headline_row(f.drop(columns="_o"))


def _closer(forecast: float | None, consensus: float | None, actual: float) -> str | None:
    if forecast is None or consensus is None or pd.isna(consensus):
        return None
    model_err, cons_err = abs(forecast - actual), abs(float(consensus) - actual)
    return "model" if model_err < cons_err else "tie" if model_err == cons_err else "consensus"
