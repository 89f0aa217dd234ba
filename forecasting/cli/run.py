"""``forecasting run``: the main job, and the screen a user reads first: the forecast table, the
last release with a consensus against the models, and what data is overdue.
``forecasting last-release``: that comparison alone."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Annotated

import typer
from rich.text import Text

from forecasting.cli._common import (
    console,
    models_option,
    open_store,
    progress_bar,
    progress_task,
    say,
    warn,
)
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
    if job.surplus is not None:
        from forecasting.render_surplus import surplus_panel

        for renderable in surplus_panel(job.surplus):
            console.print(renderable)
    _print_currency(job.last_release, job.data_status, job.last_release_error)
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


def _print_currency(last, status, error: str | None = None) -> None:  # noqa: ANN001
    """The last release with a consensus against the models, then the one-line summary of
    what is overdue (if anything is)."""
    from forecasting.render_status import last_release_renderables

    if last is not None:
        for renderable in last_release_renderables(last):
            console.print(renderable, soft_wrap=isinstance(renderable, Text))
    if error:
        warn(f"the last release with a consensus could not be shown: {error}")
    summary = None if status is None else status.summary()
    if summary:
        say(summary, style="yellow")


def last_release_command(
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The last release with both a consensus and an actual: each model's forecast made
    before it, who was closer and P(beat) as it was, and what data is overdue."""
    from forecasting.usecases import data_status, last_release

    aliases = models_option(models)
    svc = open_store()
    today = date.today()
    with progress_bar() as prog:
        tasks: list = []

        def cb(done: int, total: int) -> None:  # a bar only when origins have to be run
            if not tasks:
                tasks.append(progress_task(prog, "backtest origins for the eve forecasts"))
            tasks[0](done, total)

        result = last_release(
            svc,
            today=today,
            targets=None if target is None else [target],
            models=aliases,
            progress=cb,
        )
    status = data_status(svc, today)
    if as_json:
        print(json.dumps(result.as_dict() | {"data_overdue": status.summary()}))
        return
    _print_currency(result, status)
