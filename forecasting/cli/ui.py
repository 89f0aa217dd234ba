"""``forecasting ui``: the MLflow UI on the project's store, on localhost."""

from __future__ import annotations

from typing import Annotated

import typer

from forecasting.cli._common import say


def ui_command(
    port: Annotated[int, typer.Option(help="Port on localhost.", min=1, max=65535)] = 5000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Open the MLflow UI on the project's tracking store (localhost only).

    Experiments open on their runs; Ctrl-C or SIGTERM stops every process it started.
    """
    from forecasting.config import load_settings
    from forecasting.mlflow_ui import run_ui

    settings = load_settings()
    code = run_ui(
        settings.mlflow.tracking_uri,
        host=host,
        port=port,
        artifacts_destination=settings.mlflow.artifact_location,
        echo=say,
    )
    raise typer.Exit(code)
