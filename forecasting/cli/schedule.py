"""``forecasting schedule ...`` and ``forecasting calendar``: a thin layer over
:mod:`forecasting.scheduler`; errors reach the CLI's one error boundary."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from rich.text import Text

from forecasting.cli._common import console, say

__all__ = ["app", "calendar_command"]

app = typer.Typer(help="The release-calendar scheduler.", no_args_is_help=True)


def _settings():  # noqa: ANN202
    from forecasting.config import load_settings

    return load_settings()


def _service(settings):  # noqa: ANN001, ANN202
    from forecasting.cli._common import open_store

    return open_store(settings)


def _now(settings) -> datetime:  # noqa: ANN001
    return datetime.now(ZoneInfo(settings.schedule.timezone))


def _at(moment: datetime | None, tz: str) -> str:
    return (
        "paused" if moment is None else moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    )


# -- calendar --------------------------------------------------------------------------------
def calendar_command(
    year: Annotated[
        int | None,
        typer.Option(help="Every release dated in this year (past ones too), not the next 12."),
    ] = None,
) -> None:
    """The coming customs releases: data period covered, date and where the date comes from."""
    from forecasting.calendar import target_periods
    from forecasting.errors import DataError
    from forecasting.scheduler import post_release_fire_time, pre_release_fire_time

    settings = _settings()
    calendar = _service(settings).calendar()
    today = _now(settings).date()
    tz = settings.schedule.timezone
    if year is None:
        releases = calendar.upcoming(today, count=12)
        title = f"next {len(releases)} China customs releases (as of {today}, {tz})"
    else:
        if not 1990 <= year <= 2100:
            raise DataError(f"--year: {year} is not a year between 1990 and 2100")
        periods = target_periods(f"{year - 1}-11", f"{year}-12")
        releases = [r for r in map(calendar.release, periods) if r.date.year == year]
        title = f"China customs releases dated {year} (as of {today}, {tz})"
    table = Table(title=Text(title))
    for col in (
        "period",
        "covers",
        "release",
        "day",
        "date from",
        "pre-release run",
        "post-release run",
    ):
        table.add_column(col, no_wrap=True)
    basis_text = {"data": "data", "calendar": "GACC calendar", "estimated": "estimated (rule)"}
    for r in releases:
        past = r.date < today
        table.add_row(
            str(r.period),
            r.covers.replace("..", "–"),
            f"{r.date}" + (" (past)" if past else ""),
            f"{r.date:%a}",
            basis_text[r.basis],
            _at(pre_release_fire_time(r, settings), tz),
            _at(post_release_fire_time(r, settings), tz),
        )
    console.print(table)


# -- schedule --------------------------------------------------------------------------------
@app.command("start")
def schedule_start() -> None:
    """Run the scheduler in the foreground until SIGINT/SIGTERM (one per store)."""
    from forecasting.masking import mask_url
    from forecasting.scheduler import JobFunctions, event_log_path, serve

    settings = _settings()
    functions = JobFunctions.from_env()

    def started(info) -> None:  # noqa: ANN001
        store = mask_url(settings.service.database_url)
        say(
            f"scheduler started: {info.job_count} jobs in {store} ({settings.schedule.timezone}); "
            f"{info.lock.where}; "
            f"events {event_log_path(settings.service.state_dir)}; stop with Ctrl-C or SIGTERM"
        )
        sys.stdout.flush()

    clean = serve(settings, functions, on_started=started)
    if clean:
        say("scheduler stopped")
        return
    say("scheduler stopped; a running job was abandoned (see the event log)")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # do not wait at interpreter exit for the abandoned job's thread


@app.command("list")
def schedule_list() -> None:
    """The jobs and next fire times in the persistent store (works without a running scheduler).

    With no jobs stored yet, shows what ``schedule start`` would create.
    """
    from forecasting.masking import mask_url
    from forecasting.scheduler import JobFunctions, derive_jobs, scheduler_engine, stored_jobs

    settings = _settings()
    tz = settings.schedule.timezone
    where = mask_url(settings.service.database_url)
    jobs = stored_jobs(scheduler_engine(settings.service.database_url), tz)
    if jobs:
        table = Table(title=Text(f"{len(jobs)} scheduled jobs in {where} (times {tz})"))
        for col in ("job id", "next run", "trigger", "calls"):
            table.add_column(col, no_wrap=True)
        for j in jobs:
            table.add_row(
                *map(Text, (j.id, _at(j.next_run_time, tz), j.trigger, _called(j.kwargs)))
            )
        console.print(table)
        return
    now = _now(settings)
    specs = derive_jobs(settings, now, JobFunctions.from_env())
    table = Table(
        title=Text(
            f"no jobs stored yet in {where}: `forecasting schedule start` would create "
            f"these {len(specs)} (as of {now:%Y-%m-%d %H:%M} {tz})"
        )
    )
    for col in ("job id", "next run", "schedule", "release", "calls"):
        table.add_column(col, no_wrap=True)
    for s in specs:
        release = "" if s.release is None else f"{s.release.date} ({s.release.basis})"
        table.add_row(
            *map(
                Text,
                (s.id, _at(s.next_fire_time(now), tz), s.schedule, release, _called(s.kwargs)),
            )
        )
    console.print(table)


def _called(kwargs: dict) -> str:
    kind = kwargs.get("kind", "")
    refs = kwargs.get("functions") or {}
    key = {
        "pre-release": "pre_release",
        "post-release": "post_release",
        "tracking-catch-up": "catch_up_tracking",
        "data-inbox": "data_inbox",
    }.get(kind)
    if key is None:
        return "forecasting.scheduler (calendar refresh)" if kind == "calendar-refresh" else kind
    return str(refs.get(key, ""))


@app.command("run-now")
def schedule_run_now(
    job_id: Annotated[
        str,
        typer.Argument(
            help="pre-release:YYYY-MM, post-release:YYYY-MM, calendar-refresh, "
            "tracking-catch-up or data-inbox."
        ),
    ],
) -> None:
    """Run a job's function now in this process (the code path the scheduler uses).

    Does not cancel the scheduled run. When no scheduler runs on the store, retries and
    refreshed jobs are written to the store; otherwise the running scheduler owns them.
    """
    from forecasting.errors import ForecastingError, ScheduleError
    from forecasting.scheduler import (
        EventLog,
        JobFunctions,
        SchedulerLock,
        build_scheduler,
        run_job,
        spec_for_job_id,
    )

    settings = _settings()
    spec = spec_for_job_id(
        job_id, _service(settings).calendar(), settings, functions=JobFunctions.from_env()
    )
    log = EventLog.for_state_dir(settings.service.state_dir)
    lock = SchedulerLock(settings.service.database_url)
    scheduler = None
    if lock.try_acquire():
        scheduler = build_scheduler(settings, process_jobs=False, event_log=log)
        scheduler.start()  # the job store, open for retries and refreshed jobs; runs nothing
    try:
        outcome = run_job(**spec.kwargs)
    except Exception as exc:
        log.write("failed", job_id, f"{type(exc).__name__}: {exc}")
        if isinstance(exc, ForecastingError):
            raise
        raise ScheduleError(f"{job_id} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        lock.release()
    from forecasting.scheduler.runner import DONE

    if outcome == DONE:
        log.write("succeeded", job_id, "run-now")
    say(f"{job_id}: {outcome}")
