"""The ``forecasting`` command: a package of thin command modules over the library.

Each command parses its options, calls one use case or job, and renders the result. Every
failure reaches :func:`run`, the one error boundary: a usage error is click's usage message
(exit 2), an expected failure (:class:`~forecasting.errors.ForecastingError`) one line on
stderr with its documented exit code, anything else one line naming it as a bug (exit 1);
the traceback only with ``--debug``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Annotated

import typer
from rich.text import Text

from forecasting import __version__
from forecasting.cli import (
    backtest,
    consensus,
    data,
    evaluate,
    forecast,
    schedule,
    serve,
    surplus,
    ui,
)
from forecasting.cli import run as run_cmd
from forecasting.cli._common import err_console, say
from forecasting.errors import ForecastingError
from forecasting.masking import mask_secrets

__all__ = ["app", "entry", "run"]

app = typer.Typer(
    name="forecasting",
    help="Forecast and nowcast China's monthly customs trade prints against the consensus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data.app, name="data")
app.add_typer(consensus.app, name="consensus")
app.add_typer(schedule.app, name="schedule")
app.add_typer(forecast.registry_app, name="registry")
app.command("backtest")(backtest.backtest_command)
app.command("forecast")(forecast.forecast_command)
app.command("ledger")(forecast.ledger_command)
app.command("compare")(evaluate.compare_command)
app.command("score")(evaluate.score_command)
app.command("run")(run_cmd.run_command)
app.command("surplus")(surplus.surplus_command)
app.command("last-release")(run_cmd.last_release_command)
app.command("calendar")(schedule.calendar_command)
app.command("ui")(ui.ui_command)
app.command("serve")(serve.serve_command)


def _version(value: bool) -> None:
    if value:
        from forecasting.snapshot_loader import snapshot_version

        say(f"forecasting {__version__} (bundled data snapshot {snapshot_version()})")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="On failure, show the traceback too.")
    ] = False,
) -> None:
    """China customs trade forecasting service."""


def _error(kind: str, message: str) -> None:
    """The message as it is (one line stays one line: no wrapping at the console's width)."""
    text = Text(f"{kind}: ", style="bold red") + Text(mask_secrets(message))
    err_console.print(text, soft_wrap=True)


def run() -> None:
    """Entry point (``forecasting`` console script): the one error boundary."""
    debug = "--debug" in sys.argv[1:]
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        err_console.print("interrupted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # click's usage errors (exit 2) and the like
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    except ForecastingError as exc:
        if debug:
            err_console.print_exception()
        _error("error", str(exc))
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the boundary: a bug is reported, not dumped
        if debug:
            err_console.print_exception()
        _error(
            "internal error",
            f"{type(exc).__name__}: {exc} (a bug; rerun with --debug for the traceback)",
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def entry() -> None:
    """The ``forecasting`` console script: :func:`run`, then the process ends at once.

    Python's own shutdown tears down every module and object one by one (pandas,
    statsmodels, MLflow, numba: over a second after a backtest), which nothing needs here: the
    exit handlers run (worker pools, Dask clusters, temporary files), logs and the standard
    streams are flushed, and the process exits with the command's code. With another
    non-daemon thread still running, Python's ordinary exit waits for it instead.
    """
    try:
        run()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if any(t.is_alive() and not t.daemon for t in _other_threads()):
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # as sys.exit("message") would
        code = 1
    import atexit
    import logging

    atexit._run_exitfuncs()  # what Python's exit would run first, in the same order
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
            stream.flush()
    os._exit(code or 0)


def _other_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread()]
