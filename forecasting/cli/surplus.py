"""``forecasting surplus``: the year's trade surplus, its projection and P(record)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from forecasting.cli._common import console, open_store, parse_day_option, say, warn
from forecasting.errors import DataError, TrackingError


def surplus_command(
    year: Annotated[
        int | None, typer.Option(help="The year (default: the latest balance's).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only figures released before DATE.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The year's surplus: months released and their sum, the rest forecast, the full-year
    projection with 80%/95% intervals, last year, the record and P(record)."""
    from forecasting import tracking
    from forecasting.render_surplus import surplus_panel
    from forecasting.usecases.surplus import first_release_balances, surplus

    if year is not None and not 1990 <= year <= 2100:
        raise DataError(f"--year: {year} is not a year between 1990 and 2100")
    day = parse_day_option(as_of, "--as-of")
    svc = open_store()
    projection = surplus(svc, year=year, as_of=day)
    run_id, error = None, None
    try:
        balances = first_release_balances(svc.observations.frame(), projection.as_of)
        run_id = tracking.log_surplus(svc.settings, projection, balances)
    except TrackingError as exc:
        error = str(exc)
    if as_json:
        print(json.dumps(projection.as_dict() | {"mlflow_run_id": run_id}))
    else:
        for renderable in surplus_panel(projection):
            console.print(renderable)
        if run_id:
            say(
                f"MLflow run {run_id} (the cumulative surplus chart: surplus_{projection.year}.png)"
            )
    if error:
        warn(f"{error}; the projection is not in MLflow")
        raise typer.Exit(TrackingError.exit_code)
