"""What every command module shares: the consoles, argument parsing, the service, progress.

User-supplied text (file names, cells, sources, notes) is printed literally, never read as
rich markup: :func:`say` and :func:`warn` print plain text, tables get ``Text`` cells.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from rich.console import Console
from rich.text import Text

from forecasting.errors import DataError
from forecasting.masking import mask_secrets

__all__ = [
    "console",
    "err_console",
    "models_option",
    "open_store",
    "parse_day_option",
    "parse_period_option",
    "progress_bar",
    "progress_task",
    "say",
    "warn",
]

# Piped output (CI logs, files) keeps full rows instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 160, highlight=False)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160, highlight=False)


def say(text: str, style: str | None = None) -> None:
    """Print ``text`` literally (no markup) to stdout, credentials in URLs masked."""
    console.print(Text(mask_secrets(text), style=style or ""), soft_wrap=True)


def warn(text: str) -> None:
    """Print ``text`` literally, in yellow, to stderr, credentials in URLs masked."""
    err_console.print(Text(mask_secrets(text), style="yellow"), soft_wrap=True)


def open_store(settings: Any = None) -> Any:
    """The opened service (settings, stores, snapshot loaded); says on stderr what a new
    bundled snapshot brought and what went wrong on the way (a bad file in a data folder)."""
    from forecasting.service import open_service

    service = open_service(settings)
    if service.snapshot_load is not None:
        err_console.print(Text(service.snapshot_load.summary()), soft_wrap=True)
    for message in service.warnings:
        warn(message)
    return service


def parse_day_option(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value (None passes through).

    Raises:
        DataError: naming the option and the value.
    """
    from models.periods import parse_day

    if text is None:
        return None
    day = parse_day(text)
    if day is None:
        raise DataError(f"{option}: {text!r} is not a date (YYYY-MM-DD)")
    return day


def parse_period_option(text: str | None, option: str) -> str | None:
    """A ``YYYY-MM`` option value (None passes through).

    Raises:
        DataError: naming the option and the value.
    """
    from models.periods import parse_period

    if text is None:
        return None
    p = parse_period(text)
    if p is None:
        raise DataError(f"{option}: {text!r} is not a period (YYYY-MM)")
    return str(p)


def models_option(models: str | None) -> list[str] | None:
    """The ``--models`` aliases (None: the configured set), each checked against the registry
    so that an unknown one fails before any work starts.

    Raises:
        UnknownModelError: an unknown alias (the message lists the known ones).
    """
    if not models:
        return None
    from forecasting.combination import split_models

    aliases = [a.strip() for a in models.split(",") if a.strip()]
    split_models(aliases)
    return aliases


def progress_bar() -> Any:
    """A progress display on stderr: live in a terminal (cleared if the work fails); in a log
    or a pipe, one line per task once the work is done and nothing if it fails, so that a
    refusal is the one line of the error."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    class _Progress(Progress):
        def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
            if exc_type is not None and not self.disable:
                self.live.transient = True
            super().__exit__(exc_type, exc, tb)
            if exc_type is None and self.disable:
                for t in self.tasks:
                    done = f"{t.completed:g}" + (f"/{t.total:g}" if t.total else "")
                    line = f"{t.description}: {done} in {t.elapsed or 0:.0f} s"
                    err_console.print(Text(line), soft_wrap=True)

    return _Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
        disable=not err_console.is_terminal,
    )


def progress_task(prog: Any, description: str) -> Callable[[int, int], None]:
    """A task on ``prog`` and the ``(done, total)`` callback that advances it."""
    task = prog.add_task(Text(description).plain, total=None)
    return lambda done, total: prog.update(task, completed=done, total=total)
