"""Use case: a target's coming print as the service last said it (the API's and the
dashboard's first screen).

The release is the next one due on or after ``today`` after the last period stored (the one
:func:`~forecasting.usecases.forecast_release` forecasts by default). Its forecast is read,
not recomputed: the forecast ledger's latest job for that period (what ``forecasting
forecast``, ``run`` or the pre-release job said). Only when the ledger holds none is it
computed with :func:`~forecasting.usecases.forecast_release` as of tomorrow (not recorded:
recording stays with those commands). The consensus is the one known now: a poll added after
the forecast shows here, beside the consensus the forecast's P(beat) was computed against.
The champion is the model with the best trailing MAE (:data:`CHAMPION_WINDOW`) in the stored
backtest rows (the last stored per origin) among the models that forecast the period; the
data status is the target's line of :func:`~forecasting.usecases.data_status`. Pure over the
stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from forecasting.consensus import consensus_at
from forecasting.metrics import trailing_mae
from forecasting.observations import information_set, target_history
from forecasting.series import SERIES
from forecasting.usecases._common import checked_target
from forecasting.usecases.backtest import CHAMPION_WINDOW
from forecasting.usecases.data_status import ConsensusKnown, SeriesStatus
from forecasting.usecases.poll_recency import PollRecency, poll_recency
from models.ensemble import is_combiner
from models.periods import covered_months

__all__ = ["HEADLINE_FIELDS", "NextRelease", "headline_row", "jsonable"]
__all__ += ["next_period", "next_release"]

HEADLINE_FIELDS = ("yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95", "p_beat")
MODEL_FIELDS = ("model", *HEADLINE_FIELDS, "error")
#: months of the target's history given with the forecast (the fan chart's past)
HISTORY_MONTHS = 36


@dataclass(frozen=True)
class NextRelease:
    """One target's coming print.

    ``source``: ``ledger`` (the last recorded forecast) or ``computed`` (nothing recorded);
    ``headline``: the ensemble's row (``model`` and :data:`HEADLINE_FIELDS`), None when no
    model forecast the period; ``models``: every model's row; ``consensus``: the poll known
    now; ``consensus_at_forecast``: the one the forecast (and its P(beat)) used; ``path``: the
    headline's path to the period (``period``, ``yhat`` and bounds; the period alone for a
    ledger forecast); ``history``: the target's last :data:`HISTORY_MONTHS` figures known at
    ``as_of``; ``polls``: how recent the target's last poll is (what stands in for a missing
    consensus, e.g. "no recent consensus poll" for the balance); ``news``: the factor model's
    news, computed forecasts only.
    """

    target: str
    period: str
    release_date: date
    release_basis: str
    today: date
    source: Literal["ledger", "computed"]
    as_of: date
    job_id: str | None
    mlflow_run_id: str | None
    headline: dict | None
    models: pd.DataFrame
    consensus: ConsensusKnown | None
    consensus_at_forecast: float | None
    champion: str | None
    status: SeriesStatus | None
    path: pd.DataFrame
    history: pd.Series
    polls: PollRecency
    news: pd.DataFrame | None = field(default=None)

    @property
    def covers(self) -> str:
        return covered_months(pd.Period(self.period, freq="M"))

    @property
    def days_left(self) -> int:
        return (self.release_date - self.today).days

    @property
    def model_minus_consensus(self) -> float | None:
        if self.headline is None or self.consensus is None or self.headline["yhat"] is None:
            return None
        return float(self.headline["yhat"]) - self.consensus.value

    @property
    def consensus_changed(self) -> bool:
        """A poll known now differs from the one the forecast's P(beat) was computed against."""
        now = None if self.consensus is None else self.consensus.value
        return now != self.consensus_at_forecast

    def as_dict(self) -> dict:
        return jsonable(
            {
                "target": self.target,
                "unit": SERIES[self.target].unit,
                "period": self.period,
                "covers": self.covers,
                "release_date": self.release_date,
                "release_date_basis": self.release_basis,
                "today": self.today,
                "days_left": self.days_left,
                "source": self.source,
                "as_of": self.as_of,
                "ledger_job_id": self.job_id,
                "mlflow_run_id": self.mlflow_run_id,
                "ensemble": self.headline,
                "consensus": None if self.consensus is None else asdict(self.consensus),
                "consensus_note": self.polls.note(polled_now=self.consensus is not None),
                **self.polls.as_dict(),
                "consensus_at_forecast": self.consensus_at_forecast,
                "consensus_changed": self.consensus_changed,
                "model_minus_consensus": self.model_minus_consensus,
                "champion": self.champion,
                "models": self.models.to_dict("records"),
                "path": self.path.to_dict("records"),
                "history": [
                    {"period": str(p), "value": v} for p, v in self.history.dropna().items()
                ],
                "news": None if self.news is None else self.news.to_dict("records"),
                "data_status": None if self.status is None else asdict(self.status),
            }
        )


def next_period(service, target: str, today: date):  # noqa: ANN001, ANN201 - Service, Release
    """The release a forecast made on ``today`` is for: the first due on or after ``today``
    after the last ``target`` period released by then."""
    info = information_set(service.observations.frame(), today + timedelta(days=1))
    history = target_history(info, target).dropna()
    after = history.index[-1] if len(history) else None
    return service.calendar().next_due(today, after=after)


def headline_row(rows: pd.DataFrame) -> pd.Series | None:
    """The first combiner's row with a forecast (the ensemble), else the first model's with
    one (rows in model-set order); None when no row has a forecast."""
    ok = rows[rows["yhat"].notna()]
    if ok.empty:
        return None
    combined = ok[ok["model"].map(_combines)]
    return (combined if len(combined) else ok).iloc[0]


def next_release(
    service,  # noqa: ANN001 - forecasting.service.Service
    target: str,
    *,
    today: date,
    compute: bool = True,
) -> NextRelease | None:
    """``target``'s coming print; see the module docstring. None when nothing is recorded
    and ``compute`` is False.

    Raises:
        DataError: an unknown target.
        ModelError: a model failing in a forecast that has to be computed.
    """
    checked_target(target)
    release = next_period(service, target, today)
    period = str(release.period)
    ledger = service.ledger.frame(target=target, period=period)
    if ledger.empty and not compute:
        return None
    from forecasting.usecases.data_status import data_status

    status = data_status(service, today).get(target)
    tomorrow = today + timedelta(days=1)
    if not ledger.empty:
        job = ledger[ledger["job_id"] == ledger.loc[ledger["id"].idxmax(), "job_id"]]
        job = job.sort_values("id")
        rows, as_of = job, job["as_of"].iloc[0]
        source, job_id = "ledger", str(job["job_id"].iloc[0])
        run_ids = job["mlflow_run_id"].dropna()
        run_id = None if run_ids.empty else str(run_ids.iloc[0])
        at_forecast = _first(job["consensus"])
        path, news = pd.DataFrame(columns=["period", *HEADLINE_FIELDS[:-1]]), None
    else:
        from forecasting.usecases.forecast import forecast_release

        fc = forecast_release(service, target, today=today)
        rows, as_of, source, job_id, run_id = fc.rows, fc.as_of, "computed", None, None
        at_forecast, path, news = fc.consensus, fc.path, fc.news
    head = headline_row(rows)
    models = rows.reindex(columns=list(MODEL_FIELDS)).reset_index(drop=True)
    obs = service.observations.frame()
    history = target_history(information_set(obs, as_of), target).dropna()
    return NextRelease(
        target=target,
        period=period,
        release_date=release.date,
        release_basis=release.basis,
        today=today,
        source=source,
        as_of=as_of,
        job_id=job_id,
        mlflow_run_id=run_id,
        headline=None
        if head is None
        else {"model": head["model"]} | {k: _num(head.get(k)) for k in HEADLINE_FIELDS},
        models=models,
        consensus=_consensus_known(service, target, period, tomorrow),
        consensus_at_forecast=at_forecast,
        champion=_champion(service, target, rows),
        status=status,
        path=path.loc[:, ["period", *HEADLINE_FIELDS[:-1]]] if len(path) else _period_path(head),
        history=history.iloc[-HISTORY_MONTHS:],
        polls=poll_recency(service, target, period),
        news=news,
    )


def _consensus_known(
    service,  # noqa: ANN001
    target: str,
    period: str,
    as_of: date,
) -> ConsensusKnown | None:
    """The poll for ``period`` known before ``as_of`` (the latest; Bloomberg first)."""
    best = consensus_at(service.consensus.frame(target), as_of)
    row = best[best["period"] == period]
    if row.empty:
        return None
    r = row.iloc[0]
    polled = r["polled_on"] if isinstance(r["polled_on"], date) else None
    return ConsensusKnown(float(r["consensus"]), str(r["source"]), polled)


def _champion(service, target: str, rows: pd.DataFrame) -> str | None:  # noqa: ANN001
    """The best trailing MAE in the stored backtest rows (the last per origin) among the
    models that forecast the period (the main job's rule), None without stored rows."""
    stored = service.backtests.latest(target)
    if stored.empty:
        return None
    forecasting_models = set(rows.loc[rows["yhat"].notna(), "model"])
    mae = trailing_mae(stored[stored["model"].isin(forecasting_models)], CHAMPION_WINDOW)
    return None if mae.empty else str(mae.sort_values(kind="stable").index[0])


def _period_path(head: pd.Series | None) -> pd.DataFrame:
    cols = ["period", *HEADLINE_FIELDS[:-1]]
    if head is None:
        return pd.DataFrame(columns=cols)
    return pd.DataFrame([{c: head[c] for c in cols}])


def _combines(alias: str) -> bool:
    """A combiner of the registry (an alias no longer registered, e.g. in an old ledger row,
    is not)."""
    from forecasting.errors import UnknownModelError

    try:
        return is_combiner(alias)
    except UnknownModelError:
        return False


def _first(values: pd.Series) -> float | None:
    ok = pd.to_numeric(values, errors="coerce").dropna()
    return None if ok.empty else float(ok.iloc[0])


def _num(value: object) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


def jsonable(value: object) -> object:
    """Dates as ISO text, NaN as None, numpy scalars as Python ones, recursively."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
