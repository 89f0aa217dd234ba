"""``forecasting run``: the main job, and the table a user reads first."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from forecasting.cli._common import console, models_option, open_store, progress_bar, say, warn
from forecasting.errors import TrackingError
from forecasting.masking import mask_secrets


def run_command(
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
) -> None:
    """The main job: backtest, forecast the next releases vs the consensus, record, register.

    The forecasts go to the ledger and MLflow; every model is registered as published, the
    champion by its trailing MAE.
    """
    from forecasting.jobs import main_job
    from forecasting.render import run_table

    t0 = time.perf_counter()
    aliases = models_option(models)
    svc = open_store()
    with progress_bar() as prog:
        tasks: dict[str, int] = {}

        def progress(target: str, done: int, total: int) -> None:
            if target not in tasks:
                tasks[target] = prog.add_task(f"backtest {target}", total=total)
            prog.update(tasks[target], completed=done, total=total)

        job = main_job(svc, models=aliases, progress=progress)
    console.print(run_table(job))
    for r in job.runs:
        if r.forecast.missing_periods:
            warn(
                f"{r.target}: the store lacks released period(s) "
                f"{', '.join(r.forecast.missing_periods)}; forecast made over the longer "
                "horizon. Add them with: forecasting data add --period YYYY-MM ..."
            )
    say(
        f"done in {time.perf_counter() - t0:.0f} s; job {job.job_id}: "
        f"{job.ledger_rows} ledger rows recorded"
    )
    for r in job.runs:
        if r.run_id:
            reg = ", ".join(f"{m} v{v}" for m, v in list(r.registered.items())[:3])
            say(
                f"{r.target}: MLflow run {r.run_id}; registered {len(r.registered)} models"
                + (f" (champion {r.champion}; {reg}, …)" if r.champion else "")
            )
    for target, exc in job.failures.items():
        warn(f"{target}: not forecast: {exc}")
    if job.tracking_errors:
        for r in job.runs:
            if r.tracking_error:
                warn(f"{r.target}: {r.tracking_error}; the forecast is in the ledger")
    if job.failures:
        raise typer.Exit(next(iter(job.failures.values())).exit_code)
    if job.tracking_errors:
        raise typer.Exit(TrackingError.exit_code)
    say(
        "Review the runs in the MLflow UI: forecasting ui "
        f"(tracking URI {mask_secrets(svc.settings.mlflow.tracking_uri)})"
    )
