"""``forecasting ui``: the MLflow UI on the project's store, on localhost."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from forecasting.cli._common import say
from forecasting.masking import mask_secrets


def ui_command(
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 5000,
) -> None:
    """Open the MLflow UI on the project's tracking store (localhost only)."""
    import subprocess

    from forecasting.config import load_settings

    settings = load_settings()
    uri = settings.mlflow.tracking_uri
    if uri.startswith("http"):
        say(f"the tracking server is remote: open {mask_secrets(uri)} in a browser")
        return
    say(f"MLflow UI on http://127.0.0.1:{port} (store {mask_secrets(uri)}); Ctrl-C stops it")
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    raise typer.Exit(subprocess.call(cmd))
