"""The scheduler's recovery on start: resume within the grace, give up beyond it, run a fired
pre-release that never started, and install nothing when there is nothing to recover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from forecasting.scheduler import (
    EventLog,
    JobFunctions,
    build_scheduler,
    fired_job_ids,
    recover,
    scheduler_engine,
)
from forecasting.scheduler.store import record_fired
from forecasting.service import open_service
from tests.forecasting.jobs.test_job_runs import kill_owner
from tests.forecasting.scheduler.conftest import RECORDERS

SHANGHAI = ZoneInfo("Asia/Shanghai")
FUNCTIONS = JobFunctions.from_module(RECORDERS)


def _recover(settings, schedulers: list, now: datetime) -> tuple[dict, list[dict]]:  # noqa: ANN001
    store = build_scheduler(settings, process_jobs=False)
    store.start()
    schedulers.append(store)
    log = EventLog.for_state_dir(settings.service.state_dir, echo=False)
    specs = {s.id: s for s in recover(store, settings, now, FUNCTIONS, log)}
    assert set(specs) <= {j.id for j in store.get_jobs()}
    return specs, log.read()


def test_nothing_to_recover_installs_nothing(sched_settings, schedulers) -> None:
    specs, events = _recover(sched_settings, schedulers, datetime.now(SHANGHAI))
    assert specs == {} and events == []


def test_interrupted_runs_are_resumed_or_given_up(sched_settings, schedulers) -> None:
    svc = open_service(sched_settings)
    now = datetime.now(SHANGHAI)
    fresh = svc.job_runs.start("pre-release:2026-11", "pre-release", ["exports_yoy"], "2026-11")
    kill_owner(svc, fresh.id)
    stale = svc.job_runs.start("pre-release:2026-10", "pre-release", ["exports_yoy"], "2026-10")
    kill_owner(svc, stale.id, started=datetime.now(UTC) - timedelta(hours=7))
    user = svc.job_runs.start("run:2026-12-01", "run", ["exports_yoy"], None)
    kill_owner(svc, user.id)
    live = svc.job_runs.start("pre-release:2026-09", "pre-release", ["exports_yoy"], "2026-09")

    specs, events = _recover(sched_settings, schedulers, now)
    assert set(specs) == {"pre-release:2026-11:resume", "tracking-catch-up:now"}
    resume = specs["pre-release:2026-11:resume"]
    assert resume.kwargs["resume"] == fresh.id and resume.kwargs["period"] == "2026-11"
    assert resume.kwargs["functions"]["pre_release"] == f"{RECORDERS}:pre_release_job"
    by_job = {e["job_id"]: e for e in events}
    assert by_job[fresh.id]["event"] == "resumed"
    assert "to forecast: exports_yoy" in by_job[fresh.id]["detail"]
    assert by_job[stale.id]["event"] == "missed" and "misfire grace" in by_job[stale.id]["detail"]
    assert (
        by_job[user.id]["event"] == "missed"
        and "run run is not resumed" in (by_job[user.id]["detail"])
    )
    assert live.id not in by_job
    status = {r.id: r.status for r in svc.job_runs.runs()}
    assert status == {
        fresh.id: "running",  # the resume job takes it over
        stale.id: "abandoned",
        user.id: "abandoned",
        live.id: "running",
    }


def test_a_fired_pre_release_that_never_started_runs_again(sched_settings, schedulers) -> None:
    engine = scheduler_engine(sched_settings.service.database_url)
    now = datetime.now(SHANGHAI)
    record_fired(engine, "pre-release:2026-11", now - timedelta(hours=1), "submitted")
    record_fired(engine, "pre-release:2026-10", now - timedelta(hours=8), "submitted")  # too late
    record_fired(engine, "pre-release:2026-09", now - timedelta(hours=1), "missed")
    assert fired_job_ids(engine) >= {"pre-release:2026-11"}
    specs, events = _recover(sched_settings, schedulers, now)
    assert set(specs) == {"pre-release:2026-11:resume", "tracking-catch-up:now"}
    assert "resume" not in specs["pre-release:2026-11:resume"].kwargs  # a new run
    (retry,) = [e for e in events if e["event"] == "retry"]
    assert retry["job_id"] == "pre-release:2026-11" and "never started" in retry["detail"]

    # once a run started after the fire time, nothing is retried
    svc = open_service(sched_settings)
    svc.job_runs.start("pre-release:2026-11", "pre-release", ["exports_yoy"], "2026-11")
    specs, _ = _recover(sched_settings, schedulers, now)
    assert "pre-release:2026-11:resume" not in specs
