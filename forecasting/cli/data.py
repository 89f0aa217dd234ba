"""``forecasting data``: the vintaged observation store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from forecasting.cli._common import console, open_store, parse_day_option, say, warn
from forecasting.errors import DataError

app = typer.Typer(help="The vintaged observation store.", no_args_is_help=True)


@app.command("show")
def data_show(
    series: Annotated[str | None, typer.Option(help="Only this series.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only figures released before this date.")
    ] = None,
    vintages: Annotated[bool, typer.Option(help="Every stored vintage, not the latest.")] = False,
) -> None:
    """List the stored figures (the information set as of a date)."""
    from forecasting.render import observations_table
    from forecasting.series import SERIES

    if series is not None and series not in SERIES:
        raise DataError(f"--series: unknown series {series!r}; known: {', '.join(SERIES)}")
    as_of_date = parse_day_option(as_of, "--as-of") or date.today() + timedelta(days=1)
    svc = open_store()
    if vintages:
        frame = svc.observations.frame()
        frame = frame[frame["released"] < as_of_date]
    else:
        frame = svc.observations.information_set(as_of_date)
    if series is not None:
        frame = frame[frame["series"] == series]
    console.print(observations_table(frame, title=f"figures released before {as_of_date}"))


@app.command("import")
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
    svc = open_store()
    result = svc.observations.import_csv(file, today=date.today(), series=series)
    say(f"imported {result.added} row(s) from {file}")
    for line in result.warnings:
        warn(line)
    if result.unchanged:
        say(f"{result.unchanged} row(s) were already stored with the same value")
    if result.skipped:
        say(f"skipped {result.skipped} period(s) already in the store (the stored vintage is kept)")


@app.command("add")
def data_add(
    period: Annotated[str, typer.Option(help="Data period YYYY-MM (Jan-Feb from 2020: YYYY-02).")],
    released: Annotated[str, typer.Option(help="Release date YYYY-MM-DD.")],
    exports_yoy: Annotated[float | None, typer.Option(help="Exports, % y/y (USD).")] = None,
    imports_yoy: Annotated[float | None, typer.Option(help="Imports, % y/y (USD).")] = None,
    balance: Annotated[float | None, typer.Option(help="Trade balance, USD bn.")] = None,
    series: Annotated[
        str | None, typer.Option(help="Any other series (e.g. kr_exports_yoy), with --value.")
    ] = None,
    value: Annotated[float | None, typer.Option(help="The value of --series.")] = None,
    source: Annotated[str, typer.Option(help="Where the figures come from.")] = "manual entry",
) -> None:
    """Type in a release on the day."""
    import pandas as pd

    from forecasting.series import SERIES

    values = {"exports_yoy": exports_yoy, "imports_yoy": imports_yoy, "balance_usd_bn": balance}
    if (series is None) != (value is None):
        raise DataError("data add: --series and --value go together")
    if series is not None:
        if series not in SERIES:
            raise DataError(f"--series: unknown series {series!r}; known: {', '.join(SERIES)}")
        if values.get(series) is not None:
            raise DataError(f"data add: {series} given twice (--series and its own option)")
        values[series] = value
    rows = [
        {"series": s, "period": period, "value": v, "released": released, "source": source}
        for s, v in values.items()
        if v is not None
    ]
    if not rows:
        raise DataError(
            "data add: give at least one of --exports-yoy, --imports-yoy, --balance, "
            "--series with --value"
        )
    svc = open_store()
    result = svc.observations.add_frame(pd.DataFrame(rows), today=date.today(), where="data add")
    say(f"added {result.added} figure(s) for {period}, released {released}")
    for line in result.warnings:
        warn(line)
    if result.unchanged:
        say(f"{result.unchanged} figure(s) were already stored with the same value")


@app.command("status")
def data_status_command(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    today: Annotated[
        str | None,
        typer.Option(help="As if today were DATE (figures released after it do not count)."),
    ] = None,
) -> None:
    """What is stored, what is due and what is overdue, with the lines to type."""
    import json

    from forecasting.render_status import status_renderables
    from forecasting.usecases import data_status

    day = parse_day_option(today, "--today") or date.today()
    svc = open_store()
    status = data_status(svc, day)
    if as_json:
        print(json.dumps(status.as_dict()))
        return
    for renderable in status_renderables(status, inbox=svc.settings.data.inbox):
        console.print(renderable, soft_wrap=not hasattr(renderable, "columns"))
