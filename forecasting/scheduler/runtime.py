"""Build, fill and run the APScheduler 3.x scheduler on the service database.

Job options, set on every job and as ``job_defaults`` (on purpose, not by default):

- ``misfire_grace_time = settings.schedule.misfire_grace_seconds`` (6 h by default): a job
  whose fire time passed while the scheduler was down still runs when the scheduler comes
  back within that time; later, it is reported ``missed`` and skipped (a forecast made after
  the release would be worthless and misleading).
- ``coalesce = True``: however many fire times were missed, the job runs once, never a burst.
- ``max_instances = 1``: a job never overlaps itself; a fire while it still runs is reported
  ``missed``.
- ``replace_existing = True`` with stable ids: re-deriving the jobs replaces, never duplicates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler import events as ev

from forecasting.config import Settings
from forecasting.errors import ScheduleError
from forecasting.scheduler import runner
from forecasting.scheduler.event_log import EventLog
from forecasting.scheduler.lock import SchedulerLock
from forecasting.scheduler.recovery import recover
from forecasting.scheduler.specs import (
    DISPATCHER,
    JobFunctions,
    JobSpec,
    is_release_id,
    jobs_for_calendar,
)
from forecasting.scheduler.store import (
    JOBS_TABLE,
    ensure_tables,
    fired_job_ids,
    record_fired,
    scheduler_engine,
)

__all__ = [
    "SHUTDOWN_TIMEOUT_SECONDS",
    "StartedScheduler",
    "build_scheduler",
    "derive_jobs",
    "install_jobs",
    "refresh_calendar_jobs",
    "serve",
]

#: How long a stop waits for a running job before abandoning it.
SHUTDOWN_TIMEOUT_SECONDS = 60.0
#: How often the running scheduler checks that it still holds its store lock.
LOCK_CHECK_SECONDS = 30.0
_EXECUTOR_WORKERS = 2


def job_options(settings: Settings) -> dict:
    """The options every job gets (see the module docstring)."""
    return {
        "misfire_grace_time": settings.schedule.misfire_grace_seconds,
        "coalesce": True,
        "max_instances": 1,
    }


def build_scheduler(
    settings: Settings,
    *,
    process_jobs: bool = True,
    event_log: EventLog | None = None,
):  # noqa: ANN201 - an APScheduler scheduler
    """A scheduler (not started) on the service database's ``apscheduler_jobs`` table.

    ``process_jobs=False`` gives a scheduler without a processing loop: once started it reads
    and writes the job store (``run-now`` adding a retry) but never runs a job. (A paused
    ``BackgroundScheduler`` is not that: its thread makes one pass over due jobs on shutdown.)

    Listeners write job events to ``event_log`` (default ``<state_dir>/scheduler.log`` and
    stderr) and remember fired one-off jobs. The scheduler becomes this process's active
    scheduler, which job functions use to add retries and refreshed jobs.
    """
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    _StoreOnly = _store_only_class()  # noqa: N806
    engine = scheduler_engine(settings.service.database_url)
    log = event_log or EventLog.for_state_dir(settings.service.state_dir)
    cls = BackgroundScheduler if process_jobs else _StoreOnly
    scheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": ThreadPoolExecutor(_EXECUTOR_WORKERS)},
        job_defaults=job_options(settings),
        timezone=ZoneInfo(settings.schedule.timezone),
    )
    scheduler.add_listener(_listener(scheduler, engine, log, settings), _LISTENED)
    runner.activate(scheduler)
    return scheduler


def _store_only_class() -> type:
    from apscheduler.schedulers.base import BaseScheduler

    class StoreOnlyScheduler(BaseScheduler):
        """Job store access without a processing loop (never runs a job)."""

        def shutdown(self, wait: bool = True) -> None:  # abstract in BaseScheduler
            super().shutdown(wait)

        def wakeup(self) -> None:
            pass

    return StoreOnlyScheduler


_LISTENED = (
    ev.EVENT_JOB_ADDED
    | ev.EVENT_JOB_SUBMITTED
    | ev.EVENT_JOB_EXECUTED
    | ev.EVENT_JOB_ERROR
    | ev.EVENT_JOB_MISSED
    | ev.EVENT_JOB_MAX_INSTANCES
    | ev.EVENT_SCHEDULER_SHUTDOWN
)


def _listener(scheduler, engine, log: EventLog, settings: Settings) -> Callable:  # noqa: ANN001
    tz = ZoneInfo(settings.schedule.timezone)

    def on_event(event) -> None:  # noqa: ANN001
        code = event.code
        if code == ev.EVENT_SCHEDULER_SHUTDOWN:
            runner.deactivate(scheduler)
            return
        job_id = event.job_id
        if code == ev.EVENT_JOB_ADDED:
            job = scheduler.get_job(job_id)
            nxt = getattr(job, "next_run_time", None)
            log.write(
                "scheduled",
                job_id,
                f"next run {nxt.astimezone(tz).isoformat()}" if nxt else "paused",
            )
        elif code == ev.EVENT_JOB_SUBMITTED:
            if is_release_id(job_id):
                record_fired(engine, job_id, event.scheduled_run_times[-1], "submitted")
        elif code == ev.EVENT_JOB_EXECUTED:
            # The dispatcher already wrote ``retry``/``missed`` for a post-release without actual.
            if event.retval in (None, runner.DONE):
                log.write(
                    "succeeded",
                    job_id,
                    f"scheduled at {event.scheduled_run_time.astimezone(tz).isoformat()}",
                )
        elif code == ev.EVENT_JOB_ERROR:
            log.write("failed", job_id, f"{type(event.exception).__name__}: {event.exception}")
        elif code == ev.EVENT_JOB_MISSED:
            if is_release_id(job_id):
                record_fired(engine, job_id, event.scheduled_run_time, "missed")
            log.write(
                "missed",
                job_id,
                f"fire time {event.scheduled_run_time.astimezone(tz).isoformat()} passed more "
                f"than misfire_grace_time={settings.schedule.misfire_grace_seconds}s ago; skipped",
            )
        elif code == ev.EVENT_JOB_MAX_INSTANCES:
            log.write("missed", job_id, "still running (max_instances=1); this run is skipped")

    return on_event


def install_jobs(scheduler, specs: Iterable[JobSpec], settings: Settings) -> list[str]:  # noqa: ANN001
    """Add each spec with ``replace_existing=True`` and the explicit job options.

    A job already stored with the same trigger, arguments and options is left untouched, so a
    re-derivation neither rewrites it nor moves an overdue recurring job's fire time forward.
    Returns the ids of all ``specs``.
    """
    options = job_options(settings)
    ids = []
    for spec in specs:
        ids.append(spec.id)
        trigger = spec.trigger()
        if _unchanged(scheduler.get_job(spec.id), trigger, spec, options):
            continue
        scheduler.add_job(
            DISPATCHER,
            trigger=trigger,
            id=spec.id,
            name=spec.id,
            kwargs=spec.kwargs,
            replace_existing=True,
            **options,
        )
    return ids


def _unchanged(job, trigger, spec: JobSpec, options: dict) -> bool:  # noqa: ANN001
    return (
        job is not None
        and str(job.trigger) == str(trigger)
        and job.kwargs == spec.kwargs
        and all(getattr(job, k) == v for k, v in options.items())
    )


def derive_jobs(settings: Settings, now: datetime, functions: JobFunctions) -> list[JobSpec]:
    """:func:`jobs_for_calendar` on the service's calendar and the store's fired jobs."""
    from forecasting.service import open_service

    service = open_service(settings)
    ensure_tables(service.engine)
    fired = fired_job_ids(service.engine)
    return jobs_for_calendar(service.calendar(), settings, now, functions=functions, fired=fired)


def refresh_calendar_jobs(
    scheduler,
    settings: Settings,
    now: datetime,
    functions: JobFunctions,  # noqa: ANN001
) -> list[str]:
    """Re-derive the jobs at ``now`` and install them (the ``calendar-refresh`` job)."""
    return install_jobs(scheduler, derive_jobs(settings, now, functions), settings)


@dataclass
class StartedScheduler:
    """What :func:`serve` reports once the scheduler runs."""

    scheduler: object
    lock: SchedulerLock
    job_count: int


def serve(
    settings: Settings,
    functions: JobFunctions,
    *,
    on_started: Callable[[StartedScheduler], None],
    shutdown_timeout: float = SHUTDOWN_TIMEOUT_SECONDS,
    now: Callable[[], datetime] | None = None,
) -> bool:
    """Run the scheduler in this process until SIGINT/SIGTERM.

    Takes the store lock (:class:`ScheduleError` if another scheduler holds it), installs the
    jobs derived at start, recovers what a killed scheduler left (:func:`recover`: resumes
    interrupted pre-release runs, runs a fired one that never started, catches up), then
    waits; a scheduler that loses its lock (a PostgreSQL session gone) stops with
    :class:`ScheduleError`. A stop calls ``shutdown(wait=True)`` in a helper thread:
    a running job finishes within ``shutdown_timeout`` seconds or is abandoned (what it
    committed stays; an open transaction rolls back). Returns ``True`` on a clean stop,
    ``False`` when a job was abandoned (the caller should then exit without waiting for it).
    """
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    clock = now or (lambda: datetime.now(ZoneInfo(settings.schedule.timezone)))
    lock = SchedulerLock(settings.service.database_url).acquire()
    log = EventLog.for_state_dir(settings.service.state_dir)
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    scheduler = None
    try:
        scheduler = build_scheduler(settings, event_log=log)
        scheduler.start(paused=True)
        refresh_calendar_jobs(scheduler, settings, clock(), functions)
        recover(scheduler, settings, clock(), functions, log)
        count = len(scheduler.get_jobs())
        scheduler.resume()
        log.write("scheduler-started", None, f"pid {os.getpid()}; {count} jobs; {lock.where}")
        on_started(StartedScheduler(scheduler, lock, count))
        checked = time.monotonic()
        while not stop.wait(0.5):
            if time.monotonic() - checked >= LOCK_CHECK_SECONDS:
                checked = time.monotonic()
                if not lock.check():
                    _shutdown(scheduler, shutdown_timeout, log)
                    raise ScheduleError(
                        "the scheduler lost its lock on the store (the connection to the "
                        "database was lost) and stopped, so that another can take over"
                    )
        return _shutdown(scheduler, shutdown_timeout, log)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scheduler is not None and scheduler.running:
            with contextlib.suppress(Exception):
                scheduler.shutdown(wait=False)
        lock.release()


def _shutdown(scheduler, timeout: float, log: EventLog) -> bool:  # noqa: ANN001
    done = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    done.start()
    done.join(timeout)
    if done.is_alive():
        log.write(
            "scheduler-stopped",
            None,
            f"a running job did not finish within {timeout:g}s and was abandoned",
        )
        return False
    log.write("scheduler-stopped", None, "clean stop")
    return True
