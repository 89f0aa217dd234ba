"""The ``forecasting`` command: a thin layer over the library API.

Every :class:`~forecasting.errors.ForecastingError` becomes a message on stderr and its exit
code; nothing here computes anything the library does not.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from forecasting import __version__
from forecasting.errors import DataError, ForecastingError

app = typer.Typer(
    name="forecasting",
    help="Forecast and nowcast China's monthly customs trade prints against the consensus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
data_app = typer.Typer(help="The vintaged observation store.", no_args_is_help=True)
app.add_typer(data_app, name="data")
consensus_app = typer.Typer(help="The consensus poll store.", no_args_is_help=True)
app.add_typer(consensus_app, name="consensus")

from forecasting.cli_schedule import calendar_command, schedule_app  # noqa: E402

app.add_typer(schedule_app, name="schedule")
app.command("calendar")(calendar_command)

# Piped output (CI logs, files) keeps full rows instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _version(value: bool) -> None:
    if value:
        console.print(f"forecasting {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """China customs trade forecasting service."""


def _service():  # noqa: ANN202
    from forecasting.service import open_service

    return open_service()


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def _parse_period(text: str | None, option: str) -> str | None:
    from forecasting.validation import parse_period

    if text is None:
        return None
    p = parse_period(text)
    if p is None:
        raise DataError(f"{option}: {text!r} is not a period (YYYY-MM)")
    return str(p)


def _models(models: str | None) -> list[str] | None:
    """The ``--models`` aliases (None: the configured default), each checked against the
    registry so that an unknown one fails before any work starts.

    Raises:
        ModelError: an unknown alias (the message lists the known ones).
    """
    if not models:
        return None
    from forecasting.backtest import split_models

    aliases = models.split(",")
    split_models(aliases)
    return aliases


# -- data ------------------------------------------------------------------------------------
@data_app.command("show")
def data_show(
    series: Annotated[str | None, typer.Option(help="Only this series.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only figures released before this date.")
    ] = None,
    vintages: Annotated[bool, typer.Option(help="Every stored vintage, not the latest.")] = False,
) -> None:
    """List the stored figures (the information set as of a date)."""
    from forecasting.render import observations_table

    svc = _service()
    as_of_date = _parse_date(as_of, "--as-of") or date.today() + timedelta(days=1)
    if vintages:
        frame = svc.observations.frame()
        frame = frame[frame["released"] < as_of_date]
    else:
        frame = svc.observations.information_set(as_of_date)
    if series is not None:
        from forecasting.series import SERIES

        if series not in SERIES:
            raise DataError(f"--series: unknown series {series!r}; known: {', '.join(SERIES)}")
        frame = frame[frame["series"] == series]
    console.print(observations_table(frame, title=f"figures released before {as_of_date}"))


@data_app.command("import")
def data_import(
    file: Annotated[Path, typer.Argument(help="CSV: series, period, value, released, source.")],
    series: Annotated[
        str | None,
        typer.Option(
            help="Import a one-series file (period, value, unit, source) as SERIES, "
            "with release dates from its release rule."
        ),
    ] = None,
) -> None:
    """Add a release's figures or revisions from a CSV (all rows or none)."""
    svc = _service()
    result = svc.observations.import_csv(file, today=date.today(), series=series)
    console.print(f"imported {result.added} row(s) from {file}")
    if result.skipped:
        console.print(
            f"skipped {result.skipped} period(s) already in the store (the stored vintage is kept)"
        )


@data_app.command("add")
def data_add(
    period: Annotated[str, typer.Option(help="Data period YYYY-MM (Jan-Feb from 2020: YYYY-02).")],
    released: Annotated[str, typer.Option(help="Release date YYYY-MM-DD.")],
    exports_yoy: Annotated[float | None, typer.Option(help="Exports, % y/y (USD).")] = None,
    imports_yoy: Annotated[float | None, typer.Option(help="Imports, % y/y (USD).")] = None,
    balance: Annotated[float | None, typer.Option(help="Trade balance, USD bn.")] = None,
    source: Annotated[str, typer.Option(help="Where the figures come from.")] = "manual entry",
) -> None:
    """Type in a release on the day."""
    import pandas as pd

    values = {"exports_yoy": exports_yoy, "imports_yoy": imports_yoy, "balance_usd_bn": balance}
    rows = [
        {"series": s, "period": period, "value": v, "released": released, "source": source}
        for s, v in values.items()
        if v is not None
    ]
    if not rows:
        raise DataError("data add: give at least one of --exports-yoy, --imports-yoy, --balance")
    svc = _service()
    n = svc.observations.add_frame(pd.DataFrame(rows), today=date.today(), where="data add")
    console.print(f"added {n} figure(s) for {period}, released {released}")


# -- consensus --------------------------------------------------------------------------------
@consensus_app.command("import")
def consensus_import(
    file: Annotated[Path, typer.Argument(help="CSV of polls (store or public layout).")],
) -> None:
    """Import consensus polls (all rows or none)."""
    svc = _service()
    added, skipped = svc.consensus.import_csv(file, today=date.today())
    console.print(f"imported {added} poll(s) from {file}")
    if skipped:
        console.print(f"skipped {skipped} row(s) that carry no consensus value")


@consensus_app.command("add")
def consensus_add(
    target: Annotated[str, typer.Option(help="exports_yoy, imports_yoy or balance_usd_bn.")],
    period: Annotated[str, typer.Option(help="Target period YYYY-MM.")],
    value: Annotated[float, typer.Option(help="The poll median.")],
    source: Annotated[str, typer.Option(help="reuters, bloomberg, wsj or other.")],
    n: Annotated[int | None, typer.Option("--n", help="Number of economists polled.")] = None,
    polled_on: Annotated[str | None, typer.Option(help="Poll date YYYY-MM-DD.")] = None,
    note: Annotated[str, typer.Option(help="Free text, e.g. a URL.")] = "",
) -> None:
    """Add one consensus poll (typically for an upcoming release)."""
    svc = _service()
    svc.consensus.add(
        target=target,
        period=period,
        value=value,
        source=source,
        n_economists=n,
        polled_on=_parse_date(polled_on, "--polled-on"),
        note=note,
        today=date.today(),
    )
    console.print(f"added {source} consensus {value:+g} for {target} {period}")


@consensus_app.command("list")
def consensus_list(
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
) -> None:
    """List stored polls."""
    from forecasting.render import frame_table

    svc = _service()
    frame = svc.consensus.frame(target)
    frame = frame.assign(note=frame["note"].str.slice(0, 50))
    console.print(frame_table(frame, f"consensus polls ({len(frame)})", floats="{:+.2f}"))


@app.command("ledger")
def ledger_cmd(
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this period.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model (e.g. ensemble).")] = None,
) -> None:
    """The forecast ledger: every forecast made, with the actual where it is known."""
    from forecasting.render import frame_table

    svc = _service()
    f = svc.ledger.frame(target=target, period=_parse_period(period, "--period"))
    if model:
        f = f[f["model"] == model]
    latest = svc.observations.latest()
    actual = latest.set_index(["series", "period"])["value"]
    f = f.assign(actual=[actual.get((t, p)) for t, p in zip(f["target"], f["period"], strict=True)])
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


# -- progress ---------------------------------------------------------------------------------
def _progress():  # noqa: ANN202
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    )


def _task(prog, description: str):  # noqa: ANN001, ANN202
    """A task on ``prog`` and the ``(done, total)`` callback that advances it."""
    task = prog.add_task(description, total=None)
    return lambda done, total: prog.update(task, completed=done, total=total)


# -- backtest ---------------------------------------------------------------------------------
@app.command("backtest")
def backtest_cmd(
    target: Annotated[str, typer.Option(help="exports_yoy or imports_yoy.")],
    start: Annotated[str, typer.Option(help="First target period YYYY-MM.")],
    end: Annotated[str, typer.Option(help="Last target period YYYY-MM.")],
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the backtest rows to this CSV.")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel worker processes.")] = None,
    register: Annotated[bool, typer.Option(help="Register final models and the champion.")] = True,
    warmup: Annotated[
        int | None,
        typer.Option(
            help="Months of origins before --start that only weight the ensembles "
            "(default: the combination window, 24; 0 = none).",
        ),
    ] = None,
) -> None:
    """Pseudo-real-time rolling-origin backtest, logged to MLflow."""
    from forecasting.pipeline import backtest, write_backtest_csv
    from forecasting.render import frame_table

    _parse_period(start, "--start")
    _parse_period(end, "--end")
    if warmup is not None and warmup < 0:
        raise DataError(f"--warmup: {warmup} is negative (months before --start, 0 = none)")
    svc = _service()
    aliases = _models(models)
    with _progress() as prog:
        result = backtest(
            svc,
            target,
            start,
            end,
            models=aliases,
            jobs=jobs,
            register=register,
            progress=_task(prog, f"backtest {target}"),
            warmup=warmup,
        )
    m = result.metrics.reset_index()
    console.print(frame_table(m, f"{target} {start}..{end}: accuracy per model"))
    if result.champion:
        console.print(f"champion (best MAE over the last 36 months): [bold]{result.champion}[/]")
    if out is not None:
        failures = write_backtest_csv(result.frame, out)
        console.print(f"wrote {len(result.frame)} rows to {out}")
        if failures is not None:
            console.print(f"[yellow]some models failed at some origins; reasons in {failures}[/]")
    _report_tracking(result.run_id, result.tracking_error)


def _report_tracking(run_id: str | None, error: str | None) -> None:
    if error:
        err_console.print(
            f"[yellow]MLflow logging failed ({error}); results are in the service store[/]"
        )
    elif run_id:
        console.print(f"MLflow run {run_id} (open the UI: forecasting ui)")


# -- forecast ---------------------------------------------------------------------------------
@app.command("forecast")
def forecast_cmd(
    target: Annotated[str, typer.Option(help="exports_yoy or imports_yoy.")],
    period: Annotated[str | None, typer.Option(help="Target period (default: next due).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only figures released before DATE.")
    ] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Forecast one release against the consensus; the forecast is added to the ledger."""
    import json
    import uuid

    from forecasting.pipeline import forecast_release, ledger_rows
    from forecasting.render import forecast_panel

    svc = _service()
    result = forecast_release(
        svc,
        target,
        period=_parse_period(period, "--period"),
        as_of=_parse_date(as_of, "--as-of"),
        models=_models(models),
    )
    # The ledger is the track record of what was said before each release: a forecast "as of"
    # a past date is a look back made today, so it is shown but not recorded.
    job_id = None
    if result.as_of > date.today():
        job_id = f"forecast-{uuid.uuid4().hex[:12]}"
        svc.ledger.append(ledger_rows(result), job_id=job_id, origin="forecast")
    if as_json:
        print(json.dumps(result.as_dict() | {"ledger_job_id": job_id}, default=str))
        return
    for renderable in forecast_panel(result):
        console.print(renderable)
    if job_id is None:
        console.print(f"(a look back as of {result.as_of}: not recorded in the ledger)")


# -- score / compare / run ----------------------------------------------------------------------
@app.command("score")
def score_cmd(
    period: Annotated[str, typer.Option(help="The released period YYYY-MM.")],
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
) -> None:
    """Score the ledger's forecasts for a released period against actual and consensus."""
    from forecasting.pipeline import score_period
    from forecasting.render import frame_table

    svc = _service()
    scored = score_period(
        svc, _parse_period(period, "--period"), targets=[target] if target else None
    )
    cols = [
        "target",
        "as_of",
        "model",
        "yhat",
        "actual",
        "abs_error",
        "consensus",
        "consensus_abs_error",
        "closer_than_consensus",
        "origin",
    ]
    console.print(frame_table(scored.loc[:, cols], f"{period}: forecasts in the ledger vs actual"))


@app.command("compare")
def compare_cmd(
    target: Annotated[str, typer.Option(help="exports_yoy or imports_yoy.")],
    start: Annotated[str | None, typer.Option(help="First period YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option(help="Last period YYYY-MM.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel worker processes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Scoreboard: each model and the ensemble vs the consensus vs the actual."""
    import json

    from forecasting.pipeline import compare
    from forecasting.render import frame_table

    svc = _service()
    first, last = _parse_period(start, "--start"), _parse_period(end, "--end")
    aliases = _models(models)
    with _progress() as prog:
        board, frame = compare(
            svc,
            target,
            start=first,
            end=last,
            models=aliases,
            jobs=jobs,
            progress=_task(prog, f"pseudo-real-time forecasts {target}"),
        )
    periods = sorted(frame["period"].unique())
    if as_json:
        out = {
            "target": target,
            "start": periods[0],
            "end": periods[-1],
            "scoreboard": board.reset_index().replace({float("nan"): None}).to_dict("records"),
        }
        print(json.dumps(out))
        return
    console.print(
        frame_table(
            board.reset_index(),
            f"{target} {periods[0]}..{periods[-1]}: models vs consensus ({len(periods)} periods)",
        )
    )


@app.command("run")
def run_cmd(
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
) -> None:
    """The main job: backtest, refit, forecast the next releases vs consensus, log to MLflow."""
    import time

    from forecasting.pipeline import main_job
    from forecasting.render import run_table

    t0 = time.perf_counter()
    svc = _service()
    aliases = _models(models)
    with _progress() as prog:
        tasks: dict[str, int] = {}

        def progress(target: str, done: int, total: int) -> None:
            if target not in tasks:
                tasks[target] = prog.add_task(f"backtest {target}", total=total)
            prog.update(tasks[target], completed=done, total=total)

        summaries = main_job(svc, models=aliases, progress=progress)
    console.print(run_table(summaries))
    for s in summaries:
        if s.forecast.missing_periods:
            console.print(
                f"[yellow]{s.target}: the store lacks released period(s) "
                f"{', '.join(s.forecast.missing_periods)}; forecast made over the longer "
                "horizon. Add them with: forecasting data add --period YYYY-MM ...[/]"
            )
        if s.tracking_error:
            err_console.print(
                f"[yellow]{s.target}: MLflow logging failed ({s.tracking_error}); "
                "the forecast is in the ledger[/]"
            )
    console.print(
        f"done in {time.perf_counter() - t0:.0f} s; ledger rows added: "
        f"{sum(s.ledger_rows for s in summaries)}"
    )
    console.print(
        "Review the runs in the MLflow UI: [bold]forecasting ui[/] "
        f"(tracking URI {svc.settings.mlflow.tracking_uri})"
    )


@app.command("ui")
def ui_cmd(
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 5000,
) -> None:
    """Open the MLflow UI on the project's tracking store (localhost only)."""
    import subprocess

    from forecasting.config import load_settings

    settings = load_settings()
    uri = settings.mlflow.tracking_uri
    if uri.startswith("http"):
        console.print(f"the tracking server is remote: open {uri} in a browser")
        return
    console.print(f"MLflow UI on http://127.0.0.1:{port} (store {uri}); Ctrl-C stops it")
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    raise typer.Exit(subprocess.call(cmd))


def run() -> None:
    """Entry point with the error mapping (``forecasting`` console script)."""
    try:
        app(standalone_mode=False)
    except ForecastingError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
