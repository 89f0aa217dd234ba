"""The dispatcher every stored job calls, and ``run-now`` calls too (one code path).

:func:`run_job` loads the settings from ``config_path``, writes ``started``, resolves the job
function from its textual reference and calls it. A post-release job first arms its hourly
retry (``post-release:PERIOD:retry``) in the store, so a crash or stop mid-job still leaves the
retry in place; success removes it, :class:`NotReleasedError` keeps it (event ``retry``), and
the last attempt before the deadline records the release as ``missed``.

Adding retries and refreshed jobs needs this process's *active* scheduler (the one the
scheduler process or ``run-now`` built; see :func:`activate`).
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from forecasting.config import Settings, load_settings
from forecasting.errors import NotReleasedError, ScheduleError
from forecasting.scheduler.event_log import EventLog
from forecasting.scheduler.specs import RETRY_INTERVAL, JobFunctions, retry_spec

__all__ = [
    "DONE",
    "MISSED",
    "NOT_RELEASED",
    "RETRY",
    "activate",
    "active_scheduler",
    "deactivate",
    "resolve",
    "run_job",
]

DONE = "done"
RETRY = "retry scheduled"
NOT_RELEASED = "not released; no retry scheduled from this process"
MISSED = "missed"

_active = None
_active_lock = threading.Lock()


def activate(scheduler) -> None:  # noqa: ANN001
    """Make ``scheduler`` the one job functions of this process add jobs to."""
    global _active
    with _active_lock:
        _active = scheduler


def deactivate(scheduler) -> None:  # noqa: ANN001
    global _active
    with _active_lock:
        if _active is scheduler:
            _active = None


def active_scheduler():  # noqa: ANN201
    """The active scheduler if it can take jobs (started, running or paused), else ``None``."""
    from apscheduler.schedulers.base import STATE_STOPPED

    with _active_lock:
        scheduler = _active
    if scheduler is None or scheduler.state == STATE_STOPPED:
        return None
    return scheduler


def resolve(ref: str):  # noqa: ANN201
    """The function behind ``module:function``.

    Raises:
        ScheduleError: naming the reference and the underlying import error.
    """
    import importlib

    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise ScheduleError(f"job function {ref!r} is not a 'module:function' reference")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScheduleError(
            f"job function {ref!r} cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ScheduleError(
                f"job function {ref!r} cannot be loaded: {module_name} has no {attr!r}"
            ) from None
    return obj


def run_job(
    job_id: str,
    kind: str,
    config_path: str | None = None,
    functions: dict[str, str] | None = None,
    period: str | None = None,
    deadline: str | None = None,
    resume: str | None = None,
) -> str:
    """Run one job now; the function every stored job calls. Returns an outcome string.

    ``resume`` (a pre-release): the interrupted job run to finish.

    Raises whatever the job function raises (but :class:`NotReleasedError` for post-release).
    """
    settings = load_settings(config_path)
    refs = JobFunctions(**functions) if functions else JobFunctions()
    log = EventLog.for_state_dir(settings.service.state_dir)
    now = datetime.now(ZoneInfo(settings.schedule.timezone))
    detail = f"{kind}" + (f" {period}" if period else "")
    detail += f"; resuming {resume}" if resume else ""
    log.write("started", job_id, detail)
    if kind == "pre-release":
        extra = {"resume": resume} if resume else {}
        resolve(refs.pre_release)(period=period, config_path=config_path, **extra)
        return DONE
    if kind == "post-release":
        if period is None or deadline is None:
            raise ScheduleError(f"{job_id}: a post-release job needs period and deadline")
        return run_post_release(
            job_id, period, deadline, settings, refs, log, now, config_path=config_path
        )
    if kind == "tracking-catch-up":
        resolve(refs.catch_up_tracking)(config_path=config_path)
        return DONE
    if kind == "data-inbox":
        resolve(refs.data_inbox)(config_path=config_path)
        return DONE
    if kind == "calendar-refresh":
        scheduler = active_scheduler()
        if scheduler is None:
            raise ScheduleError(
                "calendar-refresh writes the job store, which the running scheduler process "
                "owns; it refreshes daily by itself (or restart it)"
            )
        from forecasting.scheduler.runtime import refresh_calendar_jobs

        refresh_calendar_jobs(scheduler, settings, now, refs)
        return DONE
    raise ScheduleError(f"{job_id}: unknown job kind {kind!r}")


def run_post_release(
    job_id: str,
    period: str,
    deadline: str,
    settings: Settings,
    refs: JobFunctions,
    log: EventLog,
    now: datetime,
    *,
    config_path: str | None = None,
) -> str:
    """Score a release if its actual is in; otherwise retry hourly until ``deadline``.

    Time is an argument (``now``); the retry is armed in the active scheduler before the job
    function runs.
    """
    due = datetime.fromisoformat(deadline)
    next_try = now + RETRY_INTERVAL
    scheduler = active_scheduler()
    retry = retry_spec(period, deadline, next_try, settings, refs)
    armed = False
    if scheduler is not None and next_try <= due:
        from forecasting.scheduler.runtime import install_jobs

        install_jobs(scheduler, [retry], settings)
        armed = True
    try:
        resolve(refs.post_release)(period=period, deadline=deadline, config_path=config_path)
    except NotReleasedError as exc:
        if armed:
            log.write(
                "retry", job_id, f"{exc}; next try {next_try.isoformat()} (deadline {deadline})"
            )
            return RETRY
        if next_try > due:
            log.write("missed", job_id, f"{exc}; deadline {deadline} reached; recorded as missed")
            resolve(refs.record_missed)(period=period, config_path=config_path)
            return MISSED
        log.write("retry", job_id, f"{exc}; {NOT_RELEASED}")
        return NOT_RELEASED
    if scheduler is not None:
        _remove_quietly(scheduler, retry.id)
    return DONE


def _remove_quietly(scheduler, job_id: str) -> None:  # noqa: ANN001
    from apscheduler.jobstores.base import JobLookupError

    with contextlib.suppress(JobLookupError):
        scheduler.remove_job(job_id)
