"""On start, the scheduler finishes what a killed scheduler (or job process) left unfinished.

:func:`recover` runs once, with the scheduler started paused, before any job runs:

- an interrupted pre-release job run (``running`` in ``job_runs``, its owner process gone)
  within its misfire grace is resumed: a one-off ``pre-release:PERIOD:resume`` job now, which
  keeps the targets it recorded and forecasts the others under the same job run (event
  ``resumed``);
- any other interrupted run is given up (event ``missed``): a user's ``run``/``forecast``, a
  pre-release beyond its grace or interrupted :data:`~forecasting.job_runs.MAX_ATTEMPTS`
  times;
- a pre-release the scheduler fired (``scheduler_fired``) but that never started a job run,
  killed in between, is run now if its grace lasts (event ``retry``);
- if anything was found, or a ledger unit has no MLflow run, a one-off
  ``tracking-catch-up:now`` logs what can be logged and ends the MLflow runs killed mid-way.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from forecasting.config import Settings
from forecasting.job_runs import plan_recovery
from forecasting.scheduler.event_log import EventLog
from forecasting.scheduler.specs import JobFunctions, JobSpec, catch_up_now_spec, resume_spec
from forecasting.scheduler.store import fired_jobs

__all__ = ["recover"]


def recover(
    scheduler,  # noqa: ANN001 - an APScheduler scheduler, started paused
    settings: Settings,
    now: datetime,
    functions: JobFunctions,
    log: EventLog,
) -> list[JobSpec]:
    """See the module docstring. Returns the one-off jobs it installed."""
    from forecasting.scheduler.runtime import install_jobs
    from forecasting.service import open_service

    service = open_service(settings)
    runs = service.job_runs
    grace = timedelta(seconds=settings.schedule.misfire_grace_seconds)
    specs: dict[str, JobSpec] = {}
    catch_up = False
    for plan in plan_recovery(runs.interrupted(), now, grace):
        run = plan.run
        if plan.action == "resume" and run.period:
            states = service.ledger.unit_states(list(run.units().values()))
            kept = [t for t, u in run.units().items() if u in states]
            todo = [t for t in run.targets if t not in kept]
            spec = resume_spec(run.period, run.id, now, settings, functions)
            specs[spec.id] = spec
            log.write(
                "resumed",
                run.id,
                f"interrupted ({run.who()}, attempt {run.attempts}); recorded: "
                f"{', '.join(kept) or 'nothing'}; to forecast: {', '.join(todo) or 'nothing'}; "
                f"{spec.id} runs now",
            )
        elif runs.abandon(run, plan.reason):
            catch_up = True
            log.write(
                "missed",
                run.id,
                f"interrupted ({run.who()}); {plan.reason}: given up; what it recorded is "
                "logged to MLflow by the tracking catch-up",
            )
    for spec in _never_started(service, settings, now, grace, functions, log):
        specs.setdefault(spec.id, spec)
    ledger = service.ledger.frame()
    if catch_up or specs or ledger["mlflow_run_id"].isna().any():
        spec = catch_up_now_spec(now, settings, functions)
        specs[spec.id] = spec
    install_jobs(scheduler, list(specs.values()), settings)
    return list(specs.values())


def _never_started(
    service,  # noqa: ANN001
    settings: Settings,
    now: datetime,
    grace: timedelta,
    functions: JobFunctions,
    log: EventLog,
) -> list[JobSpec]:
    """Pre-releases fired within the grace that started no job run at or after firing."""
    out = []
    for job_id, fired_at, outcome in fired_jobs(service.engine, settings.schedule.timezone):
        if outcome != "submitted" or fired_at is None or not job_id.startswith("pre-release:"):
            continue
        if fired_at + grace < now:
            continue
        started = service.job_runs.latest_start(job_id)
        if started is not None and started >= fired_at - timedelta(seconds=1):
            continue
        period = job_id.split(":", 1)[1]
        spec = resume_spec(period, None, now, settings, functions)
        log.write(
            "retry",
            job_id,
            f"fired at {fired_at.isoformat()} but never started a job run (the scheduler "
            f"stopped first); {spec.id} runs it now",
        )
        out.append(spec)
    return out
