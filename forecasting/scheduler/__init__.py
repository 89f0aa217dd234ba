"""The release-calendar scheduler (APScheduler 3.x on the service database).

Public surface::

    jobs_for_calendar(calendar, settings, now)   pure: the jobs for the coming releases
    spec_for_job_id(job_id, calendar, settings)  pure: what a job id stands for (run-now)
    build_scheduler(settings)                    a scheduler on the persistent job store
    install_jobs / refresh_calendar_jobs         add jobs with replace_existing
    serve(settings, functions, on_started=...)   the ``schedule start`` process
    SchedulerLock                                one scheduler per database (store lock)
    recover(scheduler, settings, now, ...)       on start: resume/retry interrupted jobs
    EventLog                                     JSON-lines job events (state_dir/scheduler.log)
    stored_jobs(engine, timezone)                read the job store without a scheduler
    run_job(...)                                 the dispatcher every job calls
"""

from forecasting.scheduler.event_log import EVENTS, EventLog, event_log_path
from forecasting.scheduler.lock import SCHEDULER_LOCK, SchedulerLock
from forecasting.scheduler.recovery import recover
from forecasting.scheduler.runner import activate, active_scheduler, deactivate, run_job
from forecasting.scheduler.runtime import (
    SHUTDOWN_TIMEOUT_SECONDS,
    StartedScheduler,
    build_scheduler,
    derive_jobs,
    install_jobs,
    job_options,
    refresh_calendar_jobs,
    serve,
)
from forecasting.scheduler.specs import (
    CALENDAR_REFRESH_ID,
    DATA_INBOX_ID,
    DISPATCHER,
    JOBS_MODULE_ENV,
    TRACKING_CATCH_UP_ID,
    JobFunctions,
    JobSpec,
    catch_up_now_spec,
    jobs_for_calendar,
    post_release_fire_time,
    pre_release_fire_time,
    recurring_specs,
    resume_spec,
    retry_spec,
    spec_for_job_id,
)
from forecasting.scheduler.store import (
    JOBS_TABLE,
    StoredJob,
    fired_job_ids,
    fired_jobs,
    scheduler_engine,
    stored_jobs,
)

__all__ = [
    "CALENDAR_REFRESH_ID",
    "DATA_INBOX_ID",
    "DISPATCHER",
    "EVENTS",
    "EventLog",
    "JOBS_MODULE_ENV",
    "JOBS_TABLE",
    "JobFunctions",
    "JobSpec",
    "SCHEDULER_LOCK",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "SchedulerLock",
    "StartedScheduler",
    "StoredJob",
    "TRACKING_CATCH_UP_ID",
    "activate",
    "active_scheduler",
    "build_scheduler",
    "catch_up_now_spec",
    "deactivate",
    "derive_jobs",
    "event_log_path",
    "fired_job_ids",
    "fired_jobs",
    "install_jobs",
    "job_options",
    "jobs_for_calendar",
    "post_release_fire_time",
    "pre_release_fire_time",
    "recover",
    "recurring_specs",
    "refresh_calendar_jobs",
    "resume_spec",
    "retry_spec",
    "run_job",
    "scheduler_engine",
    "serve",
    "spec_for_job_id",
    "stored_jobs",
]
