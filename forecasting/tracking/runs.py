"""Results to MLflow runs: backtests, forecasts and caught-up jobs.

Each function takes a use case's result object and writes one run (with child runs where a
result has parts), its parameters, metrics, tags and artifacts, in batches; it returns the
run id. Nothing is computed here that the result does not hold, but for the pictures.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.config import Settings
from forecasting.series import SERIES
from forecasting.tracking._run import ACCURACY_METRICS, Run, board_metrics, headline_model
from forecasting.tracking._store import (
    connected,
    experiment_id,
    git_commit,
    run_name,
)

__all__ = [
    "PLOTS",
    "fan_chart",
    "forecast_tags",
    "log_backtest",
    "log_catch_up",
    "log_forecast",
    "plotted_models",
]


def log_backtest(
    settings: Settings,
    result: Any,
    *,
    parent_run_id: str | None = None,
    kind: str = "backtest",
    champion: str | None = None,
    plots: str = "headline",
) -> str:
    """A parent run for a :class:`~forecasting.usecases.BacktestResult` and a child run per
    model: accuracy metrics, the comparison with the consensus where polls exist, the rows,
    and for the models :func:`plotted_models` names (``plots``) the forecast-vs-actual and
    residual pictures. ``champion`` is named only by a run that registers models. Returns the
    parent run id."""
    r = result
    drawn = set(plotted_models(r, plots, champion))
    first, last = r.as_of_range
    scope = f"{r.start}..{r.end}"
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, r.target)
        name = run_name(kind, r.target, scope, r.data_as_of)
        tags = {
            "kind": kind,
            "target": r.target,
            "range": scope,
            "data_fingerprint": r.fingerprint,
            "data_as_of": str(r.data_as_of),
            "as_of_first": str(first),
            "as_of_last": str(last),
            "git_commit": git_commit(settings.root),
        }
        # the tags go with each run's creation: one write (a store commit) less per run
        with Run(client, exp, name, parent_run_id, tags=tags) as parent:
            head = headline_model(r.models)
            head_metrics = r.metrics.loc[head].to_dict() if head in r.metrics.index else {}
            parent.log(
                params={
                    "target": r.target,
                    "start": r.start,
                    "end": r.end,
                    "models": list(r.models),
                    "origins": r.frame["period"].nunique(),
                    # every origin run, warm-up included: fitted now or taken from the store
                    "origins_fitted": r.fitted,
                    "origins_reused": r.reused,
                    "data_fingerprint": r.fingerprint,
                    "headline_model": head,
                    **({"champion": champion} if champion else {}),
                },
                metrics={
                    **{k: head_metrics.get(k) for k in ACCURACY_METRICS},
                    **board_metrics(r.board, head),
                    "seconds": r.seconds,
                },
            )
            parent.table(f"backtest_{r.target}.csv", r.frame)
            parent.table(f"metrics_{r.target}.csv", r.metrics, index=True)
            if r.board is not None:
                parent.table(f"scoreboard_{r.target}.csv", r.board, index=True)
            if not r.failures.empty:
                parent.table("failures.csv", r.failures)
            for model, rows in r.frame.groupby("model", sort=False):
                child_tags = {"kind": f"{kind}-model", "model": model, "target": r.target}
                with Run(client, exp, f"{model} · {name}", parent.id, tags=child_tags) as child:
                    child.log(
                        metrics={
                            **{k: r.metrics.loc[model, k] for k in ACCURACY_METRICS},
                            **board_metrics(r.board, str(model)),
                        },
                    )
                    child.table("backtest_rows.csv", rows)
                    if model in drawn:
                        _backtest_pictures(child, r, str(model), rows)

        return parent.id


#: what ``log_backtest(plots=...)`` draws: see :func:`plotted_models`
PLOTS = ("headline", "all", "none")


def plotted_models(result: Any, plots: str = "headline", champion: str | None = None) -> list[str]:
    """The models of a backtest whose pictures are drawn.

    ``"headline"`` (the default): the headline model (the ensemble, whose figures the parent
    run shows and the forecast publishes) and the champion (``champion``, else the best
    trailing MAE: the model ``run`` would publish as champion): the two a user opens. Every
    model's rows and metrics are logged all the same; drawing each model's two PNGs cost a
    quarter of a backtest command, for pictures few open. ``"all"``: every model's;
    ``"none"``: none (e.g. a scripted benchmark).

    Raises:
        ConfigError: ``plots`` is not one of :data:`PLOTS`.
    """
    if plots not in PLOTS:
        from forecasting.errors import ConfigError

        raise ConfigError(f"plots: {plots!r} is not one of {', '.join(PLOTS)}")
    models = [str(m) for m in result.models]
    if plots == "all":
        return models
    if plots == "none" or not models:
        return []
    ranked = result.ranked()
    best = champion or (ranked[0] if ranked else None)
    return [m for m in models if m in (headline_model(models), best)]


def _backtest_pictures(run: Run, result: Any, model: str, rows: pd.DataFrame) -> None:
    """A model's forecast-vs-actual and residual PNGs, into ``run``'s artifacts."""
    from forecasting.plots import forecast_vs_actual_png, residuals_png

    title = f"{result.target} · {model}"
    forecast_vs_actual_png(
        rows,
        f"{title}: forecast vs actual",
        run.file("forecast_vs_actual.png"),
        result.consensus,
        SERIES[result.target].unit,
    )
    residuals_png(rows, title, run.file("residuals.png"))


def log_forecast(
    settings: Settings,
    fc: Any,
    *,
    kind: str,
    job_id: str | None = None,
    ledger_rows: int = 0,
    parent_run_id: str | None = None,
    extra_metrics: Mapping[str, float] | None = None,
) -> tuple[str, Path]:
    """One run for a :class:`~forecasting.usecases.ForecastResult`: the headline forecast and
    its view of the consensus as metrics, every model's row, the indicator inputs, the news
    and the fan chart (also kept as ``<state_dir>/charts/fan_<target>_<period>.png``).
    Returns (run id, the chart's path)."""
    chart = fan_chart(settings, fc)
    ens = fc.ensemble
    head = {} if ens is None else {k: ens[k] for k in ("yhat", "yhat_lo_80", "yhat_hi_80")}
    head |= {} if ens is None else {k: ens[k] for k in ("yhat_lo_95", "yhat_hi_95")}
    if fc.consensus is not None and ens is not None:
        head |= {
            "consensus": fc.consensus,
            "model_minus_consensus": ens["model_minus_consensus"],
            "p_beat": ens["p_beat"],
        }
    tags = forecast_tags(kind, job_id, fc.target, fc.period, fc.as_of, fc.consensus)
    tags |= {"look_back": str(fc.look_back).lower()}
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, fc.target)
        name = run_name(kind, fc.target, fc.period, fc.as_of)
        with Run(client, exp, name, parent_run_id, tags=tags) as run:
            run.log(
                params={
                    "target": fc.target,
                    "period": fc.period,
                    "covers": fc.covers,
                    "as_of": fc.as_of.isoformat(),
                    "release_date": fc.release.date.isoformat(),
                    "models": list(fc.aliases),
                    "headline_model": "" if ens is None else ens["model"],
                    "data_fingerprint": fc.fingerprint,
                    "ensemble_weights": fc.weights,
                    **({"ensemble_centred_on": fc.centred_on} if fc.centred_on else {}),
                },
                metrics={**head, **(extra_metrics or {}), "ledger_rows": ledger_rows},
            )
            run.table("forecast.csv", fc.rows)
            run.table("path.csv", fc.path)
            if fc.indicators is not None:
                run.table("indicators.csv", fc.indicators)
            if fc.news is not None:
                run.table("news.csv", fc.news)
            import shutil

            shutil.copy(chart, run.file(chart.name))
        return run.id, chart


def forecast_tags(
    kind: str,
    job_id: str | None,
    target: str,
    period: str,
    as_of: date | str,
    consensus: float | None,
) -> dict[str, str]:
    """The tags of a forecast's run (also for runs caught up later)."""
    return {
        "kind": kind,
        "job_id": job_id or "",
        "target": target,
        "target_period": period,
        "as_of": str(as_of),
        "consensus": "" if consensus is None or pd.isna(consensus) else f"{consensus:g}",
    }


def fan_chart(settings: Settings, fc: Any) -> Path:
    """The forecast's fan chart, kept as the latest per target and period."""
    from forecasting.plots import fan_chart_png

    chart_dir = settings.service.state_dir / "charts"
    chart_dir.mkdir(parents=True, exist_ok=True)
    return fan_chart_png(
        fc.history,
        fc.path,
        f"{fc.target} {fc.covers}: forecast as of {fc.as_of}",
        chart_dir / f"fan_{fc.target}_{fc.period}.png",
        consensus=fc.consensus,
        unit=SERIES[fc.target].unit,
    )


def log_catch_up(settings: Settings, job_id: str, rows: pd.DataFrame) -> str:
    """A forecast job whose logging failed (MLflow was unreachable), logged from its ledger
    rows, tagged like the original with ``caught_up``. Returns the run id."""
    target, period = str(rows["target"].iloc[0]), str(rows["period"].iloc[0])
    as_of = str(rows["as_of"].iloc[0])
    ens = rows[rows["model"] == headline_model(list(rows["model"]))]
    metrics = {}
    if not ens.empty:
        metrics = {k: ens[k].iloc[0] for k in ("yhat", "yhat_lo_80", "yhat_hi_80")}
    tags = forecast_tags("forecast", job_id, target, period, as_of, rows["consensus"].iloc[0])
    tags |= {"caught_up": "true"}
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, target)
        name = run_name("forecast", target, period, as_of) + " (caught up)"
        with Run(client, exp, name, tags=tags) as run:
            run.log(
                params={"target": target, "period": period, "as_of": as_of},
                metrics=metrics,
            )
            run.table("forecast.csv", rows)
        return run.id
