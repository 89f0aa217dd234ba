"""``forecasting forecast``, ``forecasting ledger`` and ``forecasting registry``: one release
forecast, the track record, and the registered (published) models."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from forecasting.cli._common import (
    console,
    models_option,
    open_store,
    parse_day_option,
    parse_period_option,
    progress_bar,
    progress_task,
    say,
    warn,
)
from forecasting.errors import TrackingError

registry_app = typer.Typer(help="The registered (published) models.", no_args_is_help=True)


def forecast_command(
    target: Annotated[str, typer.Option(help="exports_yoy, imports_yoy or balance_usd_bn.")],
    period: Annotated[str | None, typer.Option(help="Target period (default: next due).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only figures released before DATE.")
    ] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Forecast one release against the consensus, recorded in the ledger and MLflow.

    A forecast as of a past date is a look back: logged to MLflow, not recorded in the ledger.
    """
    from forecasting.jobs import record_forecast
    from forecasting.render import forecast_panel
    from forecasting.usecases import forecast_release
    from forecasting.usecases._common import checked_target

    checked_target(target)
    p = parse_period_option(period, "--period")
    day = parse_day_option(as_of, "--as-of")
    aliases = models_option(models)
    svc = open_store()
    with progress_bar() as prog:
        cb = progress_task(prog, f"backtest origins for the {target} weights")
        result = forecast_release(svc, target, period=p, as_of=day, models=aliases, progress=cb)
    recorded = record_forecast(svc, result, origin="forecast")
    _warn_overdue(svc)
    if as_json:
        print(
            json.dumps(
                result.as_dict()
                | {
                    "ledger_job_id": recorded.job_id,
                    "ledger_rows": recorded.ledger_rows,
                    "mlflow_run_id": recorded.run_id,
                },
                default=str,
            )
        )
    else:
        for renderable in forecast_panel(result):
            console.print(renderable)
        if recorded.job_id is None:
            say(f"a look back as of {result.as_of}: not recorded in the ledger")
        else:
            say(f"recorded {recorded.ledger_rows} ledger row(s), job {recorded.job_id}")
        if recorded.run_id:
            say(f"MLflow run {recorded.run_id} (open the UI: forecasting ui)")
    if recorded.tracking_error:
        warn(
            f"{recorded.tracking_error}; the forecast is in the ledger and "
            "`forecasting schedule run-now tracking-catch-up` logs it once MLflow is back"
        )
        raise typer.Exit(TrackingError.exit_code)


def _warn_overdue(svc) -> None:  # noqa: ANN001 - the opened service
    """One line on stderr naming what data is overdue today, if anything is."""
    from datetime import date

    from forecasting.usecases import overdue_summary

    summary = overdue_summary(svc, date.today())
    if summary:
        warn(summary)


def ledger_command(
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this period.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model (e.g. ensemble).")] = None,
) -> None:
    """The forecast ledger: every forecast made, with the actual where it is known."""
    from forecasting.render import frame_table

    p = parse_period_option(period, "--period")
    svc = open_store()
    f = svc.ledger.frame(target=target, period=p)
    if model:
        f = f[f["model"] == model]
    latest = svc.observations.latest()
    actual = latest.set_index(["series", "period"])["value"]
    f = f.assign(actual=[actual.get((t, q)) for t, q in zip(f["target"], f["period"], strict=True)])
    cols = [
        "id",
        "origin",
        "target",
        "period",
        "as_of",
        "model",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "p_beat",
        "consensus",
        "actual",
        "mlflow_run_id",
    ]
    f = f.assign(mlflow_run_id=f["mlflow_run_id"].fillna("").str.slice(0, 8))
    console.print(frame_table(f.loc[:, cols], f"forecast ledger ({len(f)} rows)"))


@registry_app.command("predict")
def registry_predict(
    target: Annotated[str, typer.Option(help="exports_yoy, imports_yoy or balance_usd_bn.")],
    period: Annotated[str, typer.Option(help="Target period YYYY-MM.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Figures released before DATE (default: the model's)."),
    ] = None,
    alias: Annotated[str, typer.Option(help="Registry alias.")] = "champion",
) -> None:
    """Forecast a period with a registered model (default: the target's champion).

    The registered model is the published one: for the published period it gives the figures
    `forecasting forecast` printed.
    """
    import pandas as pd

    from forecasting.config import load_settings
    from forecasting.render import frame_table
    from forecasting.tracking import predict_registered
    from forecasting.usecases._common import checked_target

    checked_target(target)
    p = parse_period_option(period, "--period")
    day = parse_day_option(as_of, "--as-of")
    request = pd.DataFrame({"period": [p]})
    if day is not None:
        request["as_of"] = day.isoformat()
    frame = predict_registered(load_settings(), target, request, alias=alias)
    console.print(frame_table(frame, f"{target}@{alias}"))
