"""Scheduler commands (``forecasting schedule ...`` and ``forecasting calendar``)."""

from __future__ import annotations

import typer

schedule_app = typer.Typer(help="The release-calendar scheduler.", no_args_is_help=True)
