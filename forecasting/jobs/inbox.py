"""The scheduler's ``data-inbox`` job: import the files dropped into the inbox.

Each ready file (see :mod:`forecasting.inbox`) is imported whole and moved to ``processed/``,
or, refused with nothing written, moved to ``rejected/`` beside its ``.errors.txt``; each is
one event in the scheduler's log (``imported`` / ``rejected``). A file that brings a target's
first release of a period starts that period's post-release scoring at once (event ``scored``)
instead of waiting for the post-release job's retry. After a run that took files, what is
still overdue is one ``overdue`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from forecasting.config import Settings, load_settings
from forecasting.errors import DataError, NotReleasedError, TrackingError
from forecasting.inbox import (
    SETTLE_SECONDS,
    FileImport,
    import_file,
    move_processed,
    move_rejected,
    scan_inbox,
)
from forecasting.scheduler.event_log import EventLog
from forecasting.service import Service, open_service

__all__ = ["DATA_INBOX_JOB_ID", "InboxRun", "data_inbox_job", "log_overdue", "process_inbox"]

DATA_INBOX_JOB_ID = "data-inbox"


@dataclass
class InboxRun:
    """What one pass over the inbox did: files imported (with where each went), files
    rejected (where each went and its errors file), files left for the next run, and per
    newly released period the outcome of its scoring."""

    imported: list[tuple[FileImport, Path]] = field(default_factory=list)
    rejected: list[tuple[Path, Path, str]] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)
    scored: dict[str, str] = field(default_factory=dict)

    @property
    def new_periods(self) -> list[str]:
        """Periods some file brought a target's first release of, in order."""
        return sorted({p for f, _ in self.imported for _, p in f.new_releases})


def process_inbox(
    service: Service,
    inbox: Path,
    *,
    today: date,
    log: EventLog,
    score: Callable[[str], str],
    settle_seconds: float = SETTLE_SECONDS,
    now: Callable[[], datetime] = datetime.now,
) -> InboxRun:
    """Import every ready file of ``inbox``, move it, and log one event per file; then call
    ``score(period)`` for each period a file brought a first release of (its outcome text is
    logged as a ``scored`` event).

    Raises:
        StoreError: the store cannot be written (the file being imported stays in the inbox).
    """
    run = InboxRun()
    scan = scan_inbox(inbox, settle_seconds=settle_seconds)
    run.waiting = list(scan.waiting)
    for path in scan.ready:
        try:
            _take(service, inbox, path, today=today, log=log, run=run, now=now)
        except FileNotFoundError:
            continue  # another run (a run-now beside the scheduler's) took it meanwhile
    for period in run.new_periods:
        outcome = score(period)
        run.scored[period] = outcome
        log.write("scored", f"post-release:{period}", outcome)
    return run


def _take(
    service: Service,
    inbox: Path,
    path: Path,
    *,
    today: date,
    log: EventLog,
    run: InboxRun,
    now: Callable[[], datetime],
) -> None:
    """Import one file and move it, or move it to rejected/ with its errors; one event."""
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        done = import_file(service, path, today=today)
    except DataError as exc:
        moved, errors = move_rejected(path, inbox, str(exc), now=now())
        run.rejected.append((moved, errors, str(exc)))
        first = str(exc).splitlines()
        detail = "; ".join(first[:3]) + ("; ..." if len(first) > 3 else "")
        log.write("rejected", DATA_INBOX_JOB_ID, f"{path.name} -> {_rel(errors, inbox)}: {detail}")
        return
    moved = move_processed(path, inbox, now=now())
    run.imported.append((done, moved))
    log.write("imported", DATA_INBOX_JOB_ID, f"{done.describe()} -> {_rel(moved, inbox)}")


def _rel(path: Path, inbox: Path) -> str:
    try:
        return str(path.relative_to(inbox))
    except ValueError:
        return str(path)


def data_inbox_job(config_path: str | None = None, today: date | None = None) -> int:
    """The ``data-inbox`` job: :func:`process_inbox` on the configured ``data.inbox``, scoring
    a newly released period with the post-release job's own function. Returns the number of
    files taken (imported or rejected).

    Raises:
        StoreError: the store cannot be written (the file stays for the next run).
    """
    from forecasting.jobs.release import post_release_job
    from forecasting.usecases import overdue_summary

    settings = load_settings(config_path)
    service = open_service(settings)
    log = EventLog.for_state_dir(settings.service.state_dir)
    day = today or date.today()

    def score(period: str) -> str:
        try:
            n = post_release_job(period, config_path=config_path)
        except NotReleasedError as exc:
            return f"not scored yet: {exc}"
        except TrackingError as exc:
            return f"scored, but MLflow logging failed (the post-release job logs it): {exc}"
        except DataError as exc:
            return f"nothing to score: {exc}"
        return f"scored {n} forecast(s) at once: the inbox brought the release"

    settings.data.inbox.mkdir(parents=True, exist_ok=True)
    run = process_inbox(service, settings.data.inbox, today=day, log=log, score=score)
    taken = len(run.imported) + len(run.rejected)
    if taken:
        log_overdue(settings, DATA_INBOX_JOB_ID, overdue_summary(service, day))
    return taken


def log_overdue(settings: Settings, job_id: str, summary: str | None) -> None:
    """The one-line summary of what data is overdue as an ``overdue`` event of ``job_id`` in
    the scheduler's log (nothing when nothing is overdue)."""
    if summary:
        EventLog.for_state_dir(settings.service.state_dir).write("overdue", job_id, summary)
