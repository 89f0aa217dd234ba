"""Which jobs the scheduler holds, derived from the release calendar. Pure: time is an argument.

Job ids are stable per release, so re-deriving the jobs (at start, by the daily calendar refresh)
replaces a job instead of adding a second one:

=============================  ==========================================================
``pre-release:YYYY-MM``        release date − ``pre_release_days`` at ``pre_release_time``
``post-release:YYYY-MM``       release date at ``post_release_time``
``post-release:YYYY-MM:retry`` one-off, an hour after a post-release found no actual yet
``pre-release:YYYY-MM:resume`` one-off, on start: finish an interrupted pre-release run (or
                               run one that fired but never started)
``tracking-catch-up:now``      one-off, on start: catch up what interrupted runs left
``calendar-refresh``           daily at :data:`CALENDAR_REFRESH_AT`
``tracking-catch-up``          hourly at minute :data:`TRACKING_CATCH_UP_MINUTE`
``data-inbox``                 every :data:`DATA_INBOX_EVERY_MINUTES` minutes
=============================  ==========================================================

Every job calls :func:`forecasting.scheduler.runner.run_job` (the *dispatcher*) with simple
keyword arguments naming the job function by textual reference, so the SQLAlchemy job store
never has to import the (heavy, or not yet written) job module to load or list a job.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd

from forecasting.calendar import Release, ReleaseCalendar
from forecasting.config import Settings
from forecasting.errors import ScheduleError
from models.periods import not_a_target_period

__all__ = [
    "CALENDAR_REFRESH_AT",
    "CALENDAR_REFRESH_ID",
    "DATA_INBOX_EVERY_MINUTES",
    "DATA_INBOX_ID",
    "DISPATCHER",
    "JOBS_MODULE_ENV",
    "JobFunctions",
    "JobKind",
    "JobSpec",
    "RELEASES_AHEAD",
    "RETRY_INTERVAL",
    "TRACKING_CATCH_UP_ID",
    "TRACKING_CATCH_UP_MINUTE",
    "is_release_id",
    "jobs_for_calendar",
    "post_release_fire_time",
    "pre_release_fire_time",
    "catch_up_now_spec",
    "recurring_specs",
    "resume_spec",
    "retry_spec",
    "spec_for_job_id",
]

JobKind = Literal[
    "pre-release", "post-release", "calendar-refresh", "tracking-catch-up", "data-inbox"
]

#: Textual reference of the function every stored job calls.
DISPATCHER = "forecasting.scheduler.runner:run_job"
#: Environment variable naming another module holding the job functions (tests, dry runs).
JOBS_MODULE_ENV = "FORECASTING_JOBS_MODULE"
#: How many coming releases get pre-/post-release jobs.
RELEASES_AHEAD = 12
#: The calendar refresh runs daily at this time (schedule time zone).
CALENDAR_REFRESH_AT = time(0, 15)
#: The tracking catch-up runs every hour at this minute.
TRACKING_CATCH_UP_MINUTE = 40
#: The inbox is read every this many minutes.
DATA_INBOX_EVERY_MINUTES = 5
#: A post-release that finds no actual is retried after this long, until its deadline.
RETRY_INTERVAL = timedelta(hours=1)

CALENDAR_REFRESH_ID = "calendar-refresh"
TRACKING_CATCH_UP_ID = "tracking-catch-up"
DATA_INBOX_ID = "data-inbox"
_RELEASE_ID = re.compile(r"^(pre-release|post-release):(\d{4}-\d{2})(:retry)?$")


@dataclass(frozen=True)
class JobFunctions:
    """Textual references (``module:function``) of the job functions; injectable for tests."""

    pre_release: str = "forecasting.jobs:pre_release_job"
    post_release: str = "forecasting.jobs:post_release_job"
    record_missed: str = "forecasting.jobs:record_missed"
    catch_up_tracking: str = "forecasting.jobs:catch_up_tracking"
    data_inbox: str = "forecasting.jobs:data_inbox_job"

    @classmethod
    def from_module(cls, module: str) -> JobFunctions:
        """The same function names in another module."""
        return cls(**{f.name: f"{module}:{f.default.rpartition(':')[2]}" for f in fields(cls)})

    @classmethod
    def from_env(cls) -> JobFunctions:
        """The defaults, or the module named by ``FORECASTING_JOBS_MODULE``."""
        module = os.environ.get(JOBS_MODULE_ENV, "").strip()
        return cls.from_module(module) if module else cls()

    def as_kwargs(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class JobSpec:
    """One job as the scheduler stores it.

    ``fire_time`` is set for one-off jobs (a date trigger); recurring jobs have ``daily`` (a
    time of day), ``hourly_minute`` or ``every_minutes`` instead. ``kwargs`` are what the
    dispatcher receives.
    """

    id: str
    kind: JobKind
    timezone: str
    kwargs: dict[str, Any] = field(hash=False)
    fire_time: datetime | None = None
    daily: time | None = None
    hourly_minute: int | None = None
    release: Release | None = None
    every_minutes: int | None = None

    @property
    def schedule(self) -> str:
        """Human description of the trigger."""
        if self.fire_time is not None:
            return "once"
        if self.daily is not None:
            return f"daily {self.daily:%H:%M}"
        if self.every_minutes is not None:
            return f"every {self.every_minutes} min"
        return f"hourly at :{self.hourly_minute:02d}"

    def trigger(self):  # noqa: ANN201 - an APScheduler trigger
        """The APScheduler trigger for this job."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.date import DateTrigger

        tz = ZoneInfo(self.timezone)
        if self.fire_time is not None:
            return DateTrigger(run_date=self.fire_time, timezone=tz)
        if self.daily is not None:
            return CronTrigger(hour=self.daily.hour, minute=self.daily.minute, timezone=tz)
        if self.every_minutes is not None:
            return CronTrigger(minute=f"*/{self.every_minutes}", timezone=tz)
        return CronTrigger(minute=self.hourly_minute, timezone=tz)

    def next_fire_time(self, now: datetime) -> datetime | None:
        """When the job fires next after ``now`` (a one-off job: its fire time)."""
        if self.fire_time is not None:
            return self.fire_time
        return self.trigger().get_next_fire_time(None, now)


def pre_release_fire_time(release: Release, settings: Settings) -> datetime:
    """Release date − ``pre_release_days`` at ``pre_release_time``, in the schedule zone."""
    sc = settings.schedule
    day = release.date - timedelta(days=sc.pre_release_days)
    return datetime.combine(day, sc.pre_release_time, tzinfo=ZoneInfo(sc.timezone))


def post_release_fire_time(release: Release, settings: Settings) -> datetime:
    """Release date at ``post_release_time``, in the schedule zone."""
    sc = settings.schedule
    return datetime.combine(release.date, sc.post_release_time, tzinfo=ZoneInfo(sc.timezone))


def _post_release_deadline(release: Release, settings: Settings) -> datetime:
    return post_release_fire_time(release, settings) + timedelta(
        hours=settings.schedule.post_release_retry_hours
    )


def _spec(
    job_id: str,
    kind: JobKind,
    settings: Settings,
    functions: JobFunctions,
    extra: dict[str, str] | None = None,
    *,
    fire_time: datetime | None = None,
    daily: time | None = None,
    hourly_minute: int | None = None,
    release: Release | None = None,
    every_minutes: int | None = None,
) -> JobSpec:
    """A job in the schedule zone whose dispatcher kwargs are the common ones plus ``extra``."""
    return JobSpec(
        id=job_id,
        kind=kind,
        timezone=settings.schedule.timezone,
        kwargs={
            "job_id": job_id,
            "kind": kind,
            "config_path": str(settings.config_path),
            "functions": functions.as_kwargs(),
            **(extra or {}),
        },
        fire_time=fire_time,
        daily=daily,
        hourly_minute=hourly_minute,
        release=release,
        every_minutes=every_minutes,
    )


def _release_specs(
    release: Release, settings: Settings, functions: JobFunctions
) -> tuple[JobSpec, JobSpec]:
    period = str(release.period)
    pre = _spec(
        f"pre-release:{period}",
        "pre-release",
        settings,
        functions,
        {"period": period},
        fire_time=pre_release_fire_time(release, settings),
        release=release,
    )
    deadline = _post_release_deadline(release, settings).isoformat()
    post = _spec(
        f"post-release:{period}",
        "post-release",
        settings,
        functions,
        {"period": period, "deadline": deadline},
        fire_time=post_release_fire_time(release, settings),
        release=release,
    )
    return pre, post


def recurring_specs(settings: Settings, functions: JobFunctions) -> list[JobSpec]:
    """The calendar refresh, the tracking catch-up and the inbox."""
    return [
        _spec(
            CALENDAR_REFRESH_ID, "calendar-refresh", settings, functions, daily=CALENDAR_REFRESH_AT
        ),
        _spec(
            TRACKING_CATCH_UP_ID,
            "tracking-catch-up",
            settings,
            functions,
            hourly_minute=TRACKING_CATCH_UP_MINUTE,
        ),
        _spec(
            DATA_INBOX_ID,
            "data-inbox",
            settings,
            functions,
            every_minutes=DATA_INBOX_EVERY_MINUTES,
        ),
    ]


def jobs_for_calendar(
    calendar: ReleaseCalendar,
    settings: Settings,
    now: datetime,
    *,
    functions: JobFunctions | None = None,
    count: int = RELEASES_AHEAD,
    fired: Iterable[str] = (),
) -> list[JobSpec]:
    """The jobs ``schedule start`` (and the daily calendar refresh) install at ``now``.

    A pre-/post-release job for each of the next ``count`` releases, then the two recurring
    jobs. A one-off job whose fire time is already past is kept only while ``now`` is within
    ``misfire_grace_seconds`` of it, so a restart runs a just-missed job once. A job whose id
    is in ``fired`` (the scheduler already submitted or missed it) is never re-created, even
    if the release date moved: each release is forecast and scored at most once
    automatically (``schedule run-now`` forces another run).

    Args:
        now: an aware datetime (converted to the schedule time zone).
    """
    if now.tzinfo is None:
        raise ScheduleError(f"jobs_for_calendar: now must be time-zone aware, got {now!r}")
    functions = functions or JobFunctions()
    tz = ZoneInfo(settings.schedule.timezone)
    now = now.astimezone(tz)
    grace = timedelta(seconds=settings.schedule.misfire_grace_seconds)
    done = set(fired)
    specs: list[JobSpec] = []
    for release in calendar.upcoming(now.date(), count=count):
        for spec in _release_specs(release, settings, functions):
            assert spec.fire_time is not None
            if spec.id in done or spec.fire_time + grace < now:
                continue
            specs.append(spec)
    return specs + recurring_specs(settings, functions)


def retry_spec(
    period: str,
    deadline: str,
    at: datetime,
    settings: Settings,
    functions: JobFunctions,
) -> JobSpec:
    """The one-off ``post-release:PERIOD:retry`` job at ``at``."""
    return _spec(
        f"post-release:{period}:retry",
        "post-release",
        settings,
        functions,
        {"period": period, "deadline": deadline},
        fire_time=at.astimezone(ZoneInfo(settings.schedule.timezone)),
    )


def resume_spec(
    period: str,
    run_id: str | None,
    at: datetime,
    settings: Settings,
    functions: JobFunctions,
) -> JobSpec:
    """The one-off ``pre-release:PERIOD:resume`` job at ``at``: resume job run ``run_id``
    (``None``: a new run, for a pre-release that fired but never started)."""
    return _spec(
        f"pre-release:{period}:resume",
        "pre-release",
        settings,
        functions,
        {"period": period, **({"resume": run_id} if run_id else {})},
        fire_time=at.astimezone(ZoneInfo(settings.schedule.timezone)),
    )


def catch_up_now_spec(at: datetime, settings: Settings, functions: JobFunctions) -> JobSpec:
    """A one-off tracking catch-up at ``at`` (``tracking-catch-up:now``)."""
    return _spec(
        f"{TRACKING_CATCH_UP_ID}:now",
        "tracking-catch-up",
        settings,
        functions,
        fire_time=at.astimezone(ZoneInfo(settings.schedule.timezone)),
    )


def is_release_id(job_id: str) -> bool:
    """Whether ``job_id`` is a release's own one-off job, ``pre-release:YYYY-MM`` or
    ``post-release:YYYY-MM`` (not a ``:retry``, not a recurring job)."""
    match = _RELEASE_ID.match(job_id)
    return match is not None and match.group(3) is None


def spec_for_job_id(
    job_id: str,
    calendar: ReleaseCalendar,
    settings: Settings,
    *,
    functions: JobFunctions | None = None,
) -> JobSpec:
    """The spec a job id stands for, for any period (past ones too): what ``run-now`` runs.

    Raises:
        ScheduleError: an id of none of the documented forms.
    """
    functions = functions or JobFunctions()
    for spec in recurring_specs(settings, functions):
        if spec.id == job_id:
            return spec
    match = _RELEASE_ID.match(job_id)
    if match is None or match.group(1) == "pre-release" and match.group(3):
        # only a post-release retries
        raise ScheduleError(
            f"unknown job id {job_id!r}; expected pre-release:YYYY-MM, post-release:YYYY-MM, "
            f"post-release:YYYY-MM:retry, {CALENDAR_REFRESH_ID}, {TRACKING_CATCH_UP_ID} or "
            f"{DATA_INBOX_ID}"
        )
    kind, period_text, retry = match.groups()
    try:
        period = pd.Period(period_text, freq="M")
    except ValueError:
        raise ScheduleError(f"job id {job_id!r}: {period_text!r} is not a period") from None
    reason = not_a_target_period(period)
    if reason:
        raise ScheduleError(f"job id {job_id!r}: {reason}")
    pre, post = _release_specs(calendar.release(period), settings, functions)
    spec = pre if kind == "pre-release" else post
    if retry:
        return retry_spec(str(period), spec.kwargs["deadline"], spec.fire_time, settings, functions)  # type: ignore[arg-type]
    return spec
