"""``forecasting consensus``: the consensus poll store."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from forecasting.cli._common import console, open_store, parse_day_option, say

app = typer.Typer(help="The consensus poll store.", no_args_is_help=True)


@app.command("import")
def consensus_import(
    file: Annotated[Path, typer.Argument(help="CSV of polls (store or public layout).")],
) -> None:
    """Import consensus polls (all rows or none)."""
    svc = open_store()
    result = svc.consensus.import_csv(file, today=date.today())
    say(f"imported {result.added} poll(s) from {file}")
    if result.unchanged:
        say(f"{result.unchanged} poll(s) were already stored with the same value")
    if result.skipped:
        say(f"skipped {result.skipped} row(s) that carry no consensus value")


@app.command("add")
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
    polled = parse_day_option(polled_on, "--polled-on")
    svc = open_store()
    result = svc.consensus.add(
        target=target,
        period=period,
        value=value,
        source=source,
        n_economists=n,
        polled_on=polled,
        note=note,
        today=date.today(),
    )
    if result.unchanged:
        say(f"this {source} poll for {target} {period} was already stored with the same value")
    else:
        say(f"added {source} consensus {value:+g} for {target} {period}")


@app.command("list")
def consensus_list(
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
) -> None:
    """List stored polls."""
    from forecasting.render import frame_table

    svc = open_store()
    frame = svc.consensus.frame(target)
    frame = frame.assign(note=frame["note"].str.slice(0, 50))
    console.print(frame_table(frame, f"consensus polls ({len(frame)})", floats="{:+.2f}"))
