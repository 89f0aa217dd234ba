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

from forecasting.cli_schedule import schedule_app  # noqa: E402

app.add_typer(schedule_app, name="schedule")

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
    frame = svc.observations.frame() if vintages else svc.observations.information_set(as_of_date)
    if vintages:
        frame = frame[frame["released"] < as_of_date]
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
