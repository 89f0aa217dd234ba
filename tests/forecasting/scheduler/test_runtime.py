"""A real BackgroundScheduler on a SQLite job store in tmp, with the fast recorder jobs."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from forecasting.calendar import ReleaseCalendar, next_target_periods
from forecasting.scheduler import (
    EventLog,
    JobFunctions,
    build_scheduler,
    fired_job_ids,
    install_jobs,
    jobs_for_calendar,
    retry_spec,
    scheduler_engine,
    stored_jobs,
)
from forecasting.scheduler.runner import DONE, MISSED, RETRY, run_post_release
from tests.forecasting.scheduler.conftest import RECORDERS, wait_for
from tests.forecasting.scheduler.recorders import calls

SHANGHAI = ZoneInfo("Asia/Shanghai")
FUNCTIONS = JobFunctions.from_module(RECORDERS)


def _log(settings) -> EventLog:  # noqa: ANN001
    return EventLog.for_state_dir(settings.service.state_dir, echo=False)


def _events(settings, event: str) -> list[dict]:  # noqa: ANN001
    return [r for r in _log(settings).read() if r["event"] == event]


def _scheduler(settings, schedulers: list, paused: bool = False, down: bool = False):  # noqa: ANN001, ANN202
    """A started scheduler; ``down=True``: store access only, as if no scheduler ran."""
    s = build_scheduler(settings, process_jobs=not down, event_log=_log(settings))
    s.start(paused=paused)
    schedulers.append(s)
    return s


def _pre_release_at(settings, calendar, fire_time: datetime):  # noqa: ANN001, ANN202
    now = datetime.now(SHANGHAI)
    spec = jobs_for_calendar(calendar, settings, now, functions=FUNCTIONS)[0]
    assert spec.kind == "pre-release"
    return dataclasses.replace(spec, fire_time=fire_time)


def _calendar_from(today: date) -> ReleaseCalendar:
    """A release 10 days after ``today``: the derived jobs are all in the future."""
    last = pd.Period(today, "M") - 2
    coming = next_target_periods(last, 1)[0]
    return ReleaseCalendar(
        observed={str(last): today - timedelta(days=20)},
        listed={str(coming): today + timedelta(days=10)},
    )


def test_jobs_survive_a_restart(sched_settings, schedulers) -> None:
    now = datetime.now(SHANGHAI)
    calendar = _calendar_from(now.date())
    specs = jobs_for_calendar(calendar, sched_settings, now, functions=FUNCTIONS)
    first = _scheduler(sched_settings, schedulers)
    install_jobs(first, specs, sched_settings)
    first.shutdown(wait=True)

    second = _scheduler(sched_settings, schedulers)
    jobs = {j.id: j for j in second.get_jobs()}
    assert set(jobs) == {s.id for s in specs}
    pre = jobs[specs[0].id]
    assert pre.next_run_time == specs[0].fire_time
    assert pre.next_run_time.tzinfo is not None
    assert pre.next_run_time.utcoffset() == timedelta(hours=8)  # Asia/Shanghai
    assert (pre.misfire_grace_time, pre.coalesce, pre.max_instances) == (21600, True, 1)
    assert pre.kwargs == specs[0].kwargs
    # re-installing (what start and the calendar refresh do) replaces, never duplicates
    install_jobs(second, specs, sched_settings)
    assert len(second.get_jobs()) == len(specs)
    moved = dataclasses.replace(specs[0], fire_time=specs[0].fire_time + timedelta(days=1))
    install_jobs(second, [moved], sched_settings)  # e.g. GACC published the date
    assert second.get_job(moved.id).next_run_time == moved.fire_time
    assert len(second.get_jobs()) == len(specs)
    install_jobs(second, specs, sched_settings)
    second.shutdown(wait=True)
    # and the store reads back without any scheduler, in Asia/Shanghai
    listed = stored_jobs(scheduler_engine(sched_settings.service.database_url), "Asia/Shanghai")
    assert {j.id for j in listed} == {s.id for s in specs}
    post = next(j for j in listed if j.id == specs[1].id)
    assert post.next_run_time == specs[1].fire_time
    assert post.next_run_time.utcoffset() == timedelta(hours=8)


def test_misfire_within_grace_runs_exactly_once(
    sched_settings, sched_project: Path, small_calendar, schedulers
) -> None:
    an_hour_ago = datetime.now(SHANGHAI) - timedelta(hours=1)  # grace: 6 hours
    spec = _pre_release_at(sched_settings, small_calendar, an_hour_ago)
    # the scheduler was down at the fire time: the job is in the store, overdue
    down = _scheduler(sched_settings, schedulers, down=True)
    install_jobs(down, [spec], sched_settings)
    down.shutdown(wait=True)

    scheduler = _scheduler(sched_settings, schedulers)
    wait_for(lambda: _events(sched_settings, "succeeded"))
    scheduler.shutdown(wait=True)
    assert calls(sched_project) == ["pre_release_job 2026-11"]
    assert [r["job_id"] for r in _events(sched_settings, "started")] == [spec.id]

    # a restart re-derives the jobs: the one that ran is not re-created
    engine = scheduler_engine(sched_settings.service.database_url)
    assert spec.id in fired_job_ids(engine)
    rederived = jobs_for_calendar(
        small_calendar, sched_settings, datetime.now(SHANGHAI), fired=fired_job_ids(engine)
    )
    assert spec.id not in {s.id for s in rederived}
    again = _scheduler(sched_settings, schedulers)
    assert spec.id not in {j.id for j in again.get_jobs()}
    again.shutdown(wait=True)
    assert calls(sched_project) == ["pre_release_job 2026-11"]


def test_coalesce_runs_a_recurring_job_once_after_many_missed_fires(
    sched_settings, sched_project: Path, schedulers
) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    from forecasting.scheduler import DISPATCHER, job_options, recurring_specs

    catch_up = recurring_specs(sched_settings, FUNCTIONS)[1]
    scheduler = _scheduler(sched_settings, schedulers, paused=True)
    # every 10 minutes, last run 3 hours ago: 18 missed fire times
    scheduler.add_job(
        DISPATCHER,
        IntervalTrigger(minutes=10, timezone=SHANGHAI),
        id=catch_up.id,
        kwargs=catch_up.kwargs,
        next_run_time=datetime.now(SHANGHAI) - timedelta(hours=3),
        replace_existing=True,
        **job_options(sched_settings),
    )
    scheduler.resume()
    wait_for(lambda: _events(sched_settings, "succeeded"))
    scheduler.shutdown(wait=True)
    assert calls(sched_project) == ["catch_up_tracking"]


def test_misfire_beyond_grace_never_runs(
    sched_settings, sched_project: Path, small_calendar, schedulers
) -> None:
    seven_hours_ago = datetime.now(SHANGHAI) - timedelta(hours=7)
    spec = _pre_release_at(sched_settings, small_calendar, seven_hours_ago)
    down = _scheduler(sched_settings, schedulers, down=True)
    install_jobs(down, [spec], sched_settings)
    down.shutdown(wait=True)

    scheduler = _scheduler(sched_settings, schedulers)
    missed = wait_for(lambda: _events(sched_settings, "missed"))
    assert missed[0]["job_id"] == spec.id and "misfire_grace_time=21600s" in missed[0]["detail"]
    assert scheduler.get_job(spec.id) is None  # a one-off job is done with
    scheduler.shutdown(wait=True)
    assert calls(sched_project) == []
    assert not _events(sched_settings, "started")
    engine = scheduler_engine(sched_settings.service.database_url)
    assert spec.id in fired_job_ids(engine)


def test_a_failing_job_does_not_stop_the_scheduler(
    sched_settings, sched_project: Path, small_calendar, schedulers
) -> None:
    (sched_project / "explode").touch()
    now = datetime.now(SHANGHAI)
    failing = _pre_release_at(sched_settings, small_calendar, now - timedelta(seconds=1))
    later = retry_spec(
        "2026-11", (now + timedelta(days=2)).isoformat(), now, sched_settings, FUNCTIONS
    )
    later = dataclasses.replace(later, fire_time=now + timedelta(seconds=0.5))
    scheduler = _scheduler(sched_settings, schedulers)
    install_jobs(scheduler, [failing, later], sched_settings)
    failed = wait_for(lambda: _events(sched_settings, "failed"))
    assert failed[0]["job_id"] == failing.id
    assert failed[0]["detail"] == "RuntimeError: boom while forecasting 2026-11"
    wait_for(lambda: "post_release_job 2026-11" in calls(sched_project))
    assert scheduler.running
    scheduler.shutdown(wait=True)
    assert calls(sched_project) == ["pre_release_job 2026-11 raised", "post_release_job 2026-11"]


def test_post_release_retries_hourly_until_the_deadline(
    sched_settings, sched_project: Path, schedulers
) -> None:
    (sched_project / "not-released").touch()
    scheduler = _scheduler(sched_settings, schedulers, down=True)  # as `run-now` has it
    log = _log(sched_settings)
    now = datetime(2026, 12, 8, 12, tzinfo=SHANGHAI)
    deadline = (now + timedelta(hours=48)).isoformat()

    def attempt(at: datetime, until: str = deadline) -> str:
        return run_post_release(
            "post-release:2026-11",
            "2026-11",
            until,
            sched_settings,
            FUNCTIONS,
            log,
            at,
            config_path=str(sched_settings.config_path),
        )

    assert attempt(now) == RETRY
    retry = scheduler.get_job("post-release:2026-11:retry")
    assert retry.next_run_time == now + timedelta(hours=1)
    assert retry.kwargs["deadline"] == deadline and retry.max_instances == 1
    assert "next try 2026-12-08T13:00:00+08:00" in _events(sched_settings, "retry")[0]["detail"]

    (sched_project / "not-released").unlink()
    assert attempt(now + timedelta(hours=1)) == DONE
    assert scheduler.get_job("post-release:2026-11:retry") is None

    (sched_project / "not-released").touch()
    last = now + timedelta(hours=47, minutes=30)
    assert attempt(last) == MISSED  # the next hourly try would be past the deadline
    assert scheduler.get_job("post-release:2026-11:retry") is None
    assert calls(sched_project)[-1] == "record_missed 2026-11"
    assert "deadline" in _events(sched_settings, "missed")[0]["detail"]


def test_scheduler_table_is_its_own(sched_settings, schedulers) -> None:
    _scheduler(sched_settings, schedulers, down=True).shutdown(wait=True)
    engine = sa.create_engine(sched_settings.service.database_url)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"apscheduler_jobs", "scheduler_fired", "observations"} <= tables
