"""Use case: forecast one release against the consensus, as of a date.

Pure over the stores: the observations, the consensus known at ``as_of``, the release
calendar and the stored backtest rows (origins it lacks for the combination's weights are run
and kept). Returns a :class:`ForecastResult`; recording it (ledger, MLflow) is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.as_of import CALIBRATION, AsOfForecast, forecast_as_of
from forecasting.backtest import data_fingerprint
from forecasting.calendar import Release
from forecasting.calibration import forecast_errors
from forecasting.calibration_frame import beat_probability, consensus_weight
from forecasting.combination import rule_of, split_models
from forecasting.cross_target import BALANCE, YOY_INPUTS, headline, identity_in
from forecasting.errors import DataError
from forecasting.observations import first_release_dates, information_set, target_history
from forecasting.published import PublishedModel
from forecasting.service import Service
from forecasting.usecases._common import checked_target, model_set
from forecasting.usecases.backtest import stored_or_run
from forecasting.usecases.news import factor_news
from models.base import FORECAST_COLUMNS
from models.periods import covered_months, not_a_target_period, parse_period

__all__ = ["ForecastResult", "forecast_release"]

ENSEMBLE_FIELDS = (*FORECAST_COLUMNS[1:], "model_minus_consensus", "p_beat")
#: past periods whose identity errors a balance forecast without combiners still computes
MIN_IDENTITY_WINDOW = 24


@dataclass
class ForecastResult:
    """One release forecast.

    ``rows``: one row per model for ``period`` (``model, period, yhat``, bounds, ``error``,
    ``uses_indicators``, ``model_minus_consensus``, ``p_beat``), in model-set order; ``path``:
    the headline combiner's path to ``period`` (fan chart); ``missing_periods``: periods
    released before ``today`` that the store lacks (the forecast spans them);
    ``look_back``: made as of a past date (shown, not recorded as said before a release).
    """

    target: str
    period: str
    covers: str
    as_of: date
    release: Release
    aliases: tuple[str, ...]
    rows: pd.DataFrame
    path: pd.DataFrame
    history: pd.Series
    consensus: float | None
    missing_periods: list[str]
    fingerprint: str
    look_back: bool
    computed: AsOfForecast = field(repr=False)
    known: pd.DataFrame = field(repr=False)  # the stored rows released before as_of
    backtest_rows: pd.DataFrame = field(repr=False)  # the member rows weights came from
    #: a cross-target member's inputs: {target: (model set, backtest rows)}
    inputs: dict[str, tuple[tuple[str, ...], pd.DataFrame]] | None = field(default=None, repr=False)
    indicators: pd.DataFrame | None = None
    news: pd.DataFrame | None = None

    @property
    def weights(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in self.computed.weights.items()}

    @property
    def centred_on(self) -> str | None:
        return self.computed.centred_on.get(self.period)

    @property
    def ensemble(self) -> pd.Series | None:
        """The headline row: the first combiner of the set with a forecast, else the first
        model with one."""
        _, combiners = split_models(self.aliases)
        ok = self.rows[self.rows["yhat"].notna()]
        for name in combiners:
            r = ok[ok["model"] == name]
            if not r.empty:
                return r.iloc[0]
        return None if ok.empty else ok.iloc[0]

    def published(self, alias: str) -> PublishedModel:
        """``alias`` as this forecast made it (what the registry keeps)."""
        return PublishedModel(
            target=self.target,
            alias=alias,
            aliases=self.aliases,
            period=self.period,
            as_of=self.as_of,
            observations=self.known,
            backtest_rows=self.backtest_rows,
            members=self.computed.members,
            inputs=self.inputs,
        )

    def as_dict(self) -> dict:
        ens = self.ensemble
        rows = self.rows.drop(columns=["uses_indicators"], errors="ignore")
        return {
            "target": self.target,
            "period": self.period,
            "covers": self.covers,
            "as_of": self.as_of.isoformat(),
            "release_date": self.release.date.isoformat(),
            "release_date_basis": self.release.basis,
            "consensus": self.consensus,
            "ensemble": None
            if ens is None
            else {k: (None if pd.isna(ens[k]) else float(ens[k])) for k in ENSEMBLE_FIELDS}
            | {"model": ens["model"]},
            "models": rows.replace({np.nan: None}).to_dict("records"),
            "missing_periods": self.missing_periods,
            "ensemble_weights": self.weights,
            "ensemble_centred_on": self.centred_on,
            "indicators": None
            if self.indicators is None
            else self.indicators.astype({"released": str}).to_dict("records"),
            "news": None if self.news is None else self.news.to_dict("records"),
            "data_fingerprint": self.fingerprint,
            "look_back": self.look_back,
        }


def forecast_release(
    service: Service,
    target: str,
    *,
    period: str | None = None,
    as_of: date | None = None,
    today: date | None = None,
    models: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ForecastResult:
    """Forecast one release with the information released before ``as_of``.

    By default ``today`` is the clock's date and ``as_of`` the day after it (everything
    released up to today is known); with only ``as_of`` given, ``today`` is ``as_of``. The
    release forecast by default is the next one due on or after ``today``. A forecast whose
    ``as_of`` is not after ``today`` (the clock's, when ``today`` is not given) is a look back.
    ``progress`` reports backtest origins run for the combination's weights, if any are
    missing.

    Raises:
        DataError: an unknown target; the period is not a target period or is already
            released as of ``as_of`` (the message states the actual).
        ModelError: an unknown model alias.
    """
    checked_target(target)
    aliases = model_set(service, target, models)
    now = today or date.today()  # "now" for the look-back rule: the caller's, else the clock's
    today = today or as_of or now
    as_of_date = as_of or today + timedelta(days=1)
    obs = service.observations.frame()
    info = information_set(obs, as_of_date)
    history = target_history(info, target)
    if history.dropna().empty:
        raise DataError(f"no {target} figures released before {as_of_date}")
    last = history.dropna().index[-1]
    cal = service.calendar()
    release = cal.next_due(today, after=last) if period is None else cal.release(_period(period))
    target_p = str(release.period)
    known = info[(info["series"] == target) & (info["period"] == target_p)]
    if not known.empty:
        row = known.iloc[0]
        raise DataError(
            f"{target} {target_p} was already released on {row['released']}: "
            f"actual {row['value']:+.1f} (use --as-of before that date to see the "
            f"forecast made then)"
        )
    missing = [
        str(r.period) for r in cal.released_between(last, today) if r.period < release.period
    ]
    fingerprint = data_fingerprint(obs)
    inputs = _identity_inputs(service, aliases, as_of_date, progress)
    stored = service.backtests.load(fingerprint, target)
    computed = forecast_as_of(
        obs,
        target,
        target_p,
        as_of_date,
        aliases,
        stored,
        inputs=inputs,
        jobs=service.settings.backtest.jobs,
        progress=progress,
    )
    for rows_run in (computed.new_backtest_rows, *computed.new_inputs.values()):
        if not rows_run.empty:
            service.backtests.save(fingerprint, rows_run, replace=False)
    stored = pd.concat([stored, computed.new_backtest_rows], ignore_index=True)
    stored = stored.drop_duplicates(["period", "model"], keep="first")
    consensus = service.consensus.value(target, target_p, as_of_date)
    polls = service.consensus.best(target).set_index("period")["consensus"]
    released = first_release_dates(obs, target)
    rows = _release_rows(computed, target_p, aliases, consensus, polls, released, as_of_date)
    fc = ForecastResult(
        target=target,
        period=target_p,
        covers=covered_months(release.period),
        as_of=as_of_date,
        release=release,
        aliases=tuple(aliases),
        rows=rows,
        path=pd.DataFrame(columns=list(FORECAST_COLUMNS)),
        history=history,
        consensus=consensus,
        missing_periods=missing,
        fingerprint=fingerprint,
        look_back=as_of_date <= now,
        computed=computed,
        known=obs[obs["released"] < as_of_date].reset_index(drop=True),
        backtest_rows=stored,
        inputs=inputs,
    )
    ens = fc.ensemble
    if ens is not None:
        path = computed.rows[computed.rows["model"] == ens["model"]]
        fc.path = path.loc[:, list(FORECAST_COLUMNS)].reset_index(drop=True)
    if computed.members.exog is not None:
        from forecasting.indicators import indicators_used

        fc.indicators = indicators_used(info, list(computed.members.exog.columns), target_p)
    fitted, _ = split_models(aliases)
    if "dfm" in fitted:
        fc.news = factor_news(service, obs, info, history, target, target_p, as_of_date)
    return fc


def _identity_inputs(
    service: Service,
    aliases: list[str],
    as_of: date,
    progress: Callable[[int, int], None] | None,
) -> dict[str, tuple[tuple[str, ...], pd.DataFrame]] | None:
    """For the balance identity: the y/y targets' model sets and backtest rows over the
    combination window before ``as_of`` (the y/y backtests and the balance's own, identity
    included, run where the store lacks them). None for a target without the identity."""
    if not identity_in(BALANCE, aliases):
        return None
    fitted, combiners = split_models(aliases)
    window = max((rule_of(a).window for a in combiners), default=MIN_IDENTITY_WINDOW)
    obs = service.observations.frame()
    released = first_release_dates(obs, BALANCE)
    before = sorted(p for p, d in released.items() if d < as_of)[-window:]
    if not before:
        return None
    lo, hi = before[0], before[-1]
    jobs = service.settings.backtest.jobs
    sets = {t: tuple(model_set(service, t)) for t in YOY_INPUTS}
    rows = {
        t: stored_or_run(service, t, lo, hi, [headline(sets[t])], jobs, progress)
        for t in YOY_INPUTS
    }
    if combiners:
        stored_or_run(service, BALANCE, lo, hi, fitted, jobs, progress, models=aliases)
    return {t: (sets[t], rows[t]) for t in YOY_INPUTS}


def _period(text: str) -> pd.Period:
    p = parse_period(text)
    if p is None:
        raise DataError(f"--period: {text!r} is not a period (YYYY-MM)")
    reason = not_a_target_period(p)
    if reason:
        raise DataError(reason)
    return p


def _release_rows(
    computed: AsOfForecast,
    period: str,
    aliases: list[str],
    consensus: float | None,
    polls: pd.Series,
    released: pd.Series,
    as_of: date,
) -> pd.DataFrame:
    """One row per model for ``period`` (a failed model's error row included), with the
    consensus view, in model-set order. P(beat) is read off each model's calibrated
    distribution (its errors in ``computed.history`` known at ``as_of``), centred by how far
    its past departures from the polls were borne out (``consensus_weight``); a model without
    enough known errors falls back on the Gaussian of its own 80% band."""
    rows = computed.rows
    out = rows[rows["period"] == period].copy()
    failed = rows[rows["yhat"].isna() & ~rows["model"].isin(out["model"])]
    out = pd.concat([out, failed], ignore_index=True)
    out["model_minus_consensus"] = np.nan if consensus is None else out["yhat"] - consensus
    out["p_beat"] = np.nan
    if consensus is not None:
        history = computed.history
        errors = forecast_errors(history, released) if len(history) else _NO_ERRORS
        steps = rows[rows["yhat"].notna()].groupby("model")["period"].nunique()
        for i, row in out[out["yhat"].notna()].iterrows():
            past = history[history["model"] == row["model"]] if len(history) else history
            shown = past["period"].map(polls) if len(past) else pd.Series(dtype=float)
            weight = consensus_weight(
                (past.get("yhat", shown) - shown).to_numpy(dtype=float),
                (past.get("actual", shown) - shown).to_numpy(dtype=float),
            )
            at = row.copy()
            at["as_of"], at["horizon"] = as_of, int(steps.get(row["model"], 1))
            out.loc[i, "p_beat"] = beat_probability(
                at, float(consensus), errors, CALIBRATION, weight=weight
            )
    order = {a: i for i, a in enumerate(aliases)}
    out = out.assign(_o=out["model"].map(order)).sort_values("_o", kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)


_NO_ERRORS = pd.DataFrame(
    columns=["model", "period", "horizon", "error", "scale", "as_of", "released"]
)
