"""``forecasting compare`` and ``forecasting score``: the model against the consensus."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from forecasting.cli._common import (
    console,
    models_option,
    open_store,
    parse_period_option,
    progress_bar,
    progress_task,
    say,
    warn,
)
from forecasting.errors import TrackingError


def compare_command(
    target: Annotated[str, typer.Option(help="exports_yoy, imports_yoy or balance_usd_bn.")],
    start: Annotated[str | None, typer.Option(help="First period YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option(help="Last period YYYY-MM.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel worker processes.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Scoreboard: each model and the ensemble vs the consensus vs the actual.

    Logged to MLflow with the scoreboard as CSV and PNG.
    """
    from forecasting import tracking
    from forecasting.render import frame_table
    from forecasting.usecases import compare

    first = parse_period_option(start, "--start")
    last = parse_period_option(end, "--end")
    aliases = models_option(models)
    svc = open_store()
    with progress_bar() as prog:
        result = compare(
            svc,
            target,
            start=first,
            end=last,
            models=aliases,
            jobs=jobs,
            progress=progress_task(prog, f"pseudo-real-time forecasts {target}"),
        )
    run_id, error = None, None
    try:
        bt_run = None
        if result.backtest is not None:
            bt_run = tracking.log_backtest(svc.settings, result.backtest)
        run_id = tracking.log_compare(svc.settings, result, backtest_run_id=bt_run)
    except TrackingError as exc:
        error = str(exc)
    if as_json:
        board = result.board.reset_index().replace({float("nan"): None})
        out = {
            "target": target,
            "start": result.start,
            "end": result.end,
            "scoreboard": board.to_dict("records"),
            "reliability": {
                m: t.replace({float("nan"): None}).to_dict("records")
                for m, t in result.reliability.items()
            },
            "mlflow_run_id": run_id,
        }
        print(json.dumps(out))
    else:
        title = f"{target} {result.start}..{result.end}: models vs consensus "
        console.print(
            frame_table(result.board.reset_index(), title + f"({len(result.periods)} periods)")
        )
        from forecasting.tracking._run import headline_model

        head = headline_model([m for m in result.board.index if m != "consensus"])
        if head in result.reliability:
            console.print(
                frame_table(
                    result.reliability[head],
                    f"{head}: P(beat) against how often the print beat the consensus",
                )
            )
    if error:
        warn(f"{error}; the comparison is not in MLflow")
        raise typer.Exit(TrackingError.exit_code)
    if not as_json:
        say(f"MLflow run {run_id} (scoreboard.csv, scoreboard.png)")


def score_command(
    period: Annotated[str, typer.Option(help="The released period YYYY-MM.")],
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
) -> None:
    """Score the ledger's forecasts for a released period against actual and consensus."""
    from forecasting import tracking
    from forecasting.render import frame_table
    from forecasting.usecases import score_period

    p = parse_period_option(period, "--period")
    svc = open_store()
    result = score_period(svc, p, targets=[target] if target else None)
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
    console.print(
        frame_table(result.scored.loc[:, cols], f"{p}: forecasts in the ledger vs actual")
    )
    try:
        runs = tracking.log_score(svc.settings, result)
    except TrackingError as exc:
        warn(f"{exc}; the scores are recomputable from the ledger")
        raise typer.Exit(TrackingError.exit_code) from None
    say("MLflow runs: " + ", ".join(f"{t} {r}" for t, r in runs.items()))
