"""``forecasting backtest``: the pseudo-real-time backtest, logged to MLflow."""

from __future__ import annotations

import functools
from pathlib import Path
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
from forecasting.errors import ConfigError, DataError, TrackingError


def backtest_command(
    target: Annotated[str, typer.Option(help="exports_yoy, imports_yoy or balance_usd_bn.")],
    start: Annotated[str, typer.Option(help="First target period YYYY-MM.")],
    end: Annotated[str, typer.Option(help="Last target period YYYY-MM.")],
    models: Annotated[str | None, typer.Option(help="Comma-separated model aliases.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the backtest rows to this CSV.")] = None,
    jobs: Annotated[int | None, typer.Option(help="Parallel worker processes.")] = None,
    warmup: Annotated[
        int | None,
        typer.Option(
            help="Months of origins before --start that only weight the ensembles "
            "(default: the combination window, 24; 0 = none).",
        ),
    ] = None,
    plots: Annotated[
        str,
        typer.Option(
            help="Which models' forecast-vs-actual and residual PNGs MLflow gets: headline "
            "(the ensemble and the champion, the default), all, or none.",
        ),
    ] = "headline",
) -> None:
    """Pseudo-real-time rolling-origin backtest, logged to MLflow.

    It names no champion: `run` and the scheduler register the models they publish.
    """
    from forecasting import tracking
    from forecasting.render import frame_table
    from forecasting.usecases import backtest, write_backtest_csv
    from forecasting.usecases._common import checked_target

    checked_target(target)
    if plots not in tracking.PLOTS:
        raise ConfigError(f"--plots: {plots!r} is not one of {', '.join(tracking.PLOTS)}")
    first = parse_period_option(start, "--start")
    last = parse_period_option(end, "--end")
    if warmup is not None and warmup < 0:
        raise DataError(f"--warmup: {warmup} is negative (months before --start, 0 = none)")
    if jobs is not None and jobs < 1:
        raise DataError(f"--jobs: {jobs} must be at least 1")
    aliases = models_option(models)
    svc = open_store()
    with progress_bar() as prog:
        result = backtest(
            svc,
            target,
            first,
            last,
            models=aliases,
            jobs=jobs,
            progress=progress_task(prog, f"backtest {target}"),
            warmup=warmup,
            # MLflow's imports and store opened while the workers fit
            while_fitting=functools.partial(tracking.preload, svc.settings),
        )
    console.print(frame_table(result.metrics.reset_index(), f"{target} {first}..{last}: accuracy"))
    if result.board is not None:
        console.print(
            frame_table(result.board.reset_index(), f"{target}: against the consensus polls")
        )
    if result.reused:
        say(
            f"{result.reused} origins reused from the store: the figures released before each,"
            " the models and the code are those they were fitted on"
        )
    if out is not None:
        failures = write_backtest_csv(result, out)
        say(f"wrote {len(result.frame)} rows to {out}")
        if failures is not None:
            warn(f"some models failed at some origins; reasons in {failures}")
    try:
        run_id = tracking.log_backtest(svc.settings, result, plots=plots)
    except TrackingError as exc:
        warn(f"{exc}; the backtest rows are in the service store")
        raise typer.Exit(TrackingError.exit_code) from None
    say(f"MLflow run {run_id} (open the UI: forecasting ui)")
