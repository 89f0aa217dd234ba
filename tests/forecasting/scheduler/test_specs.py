"""Jobs derived from the release calendar: pure, with a fixed ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forecasting.errors import ScheduleError
from forecasting.scheduler import JobFunctions, jobs_for_calendar, spec_for_job_id

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_jobs_derived_from_calendar(sched_settings, small_calendar) -> None:
    functions = JobFunctions.from_module("tests.forecasting.scheduler.recorders")
    specs = jobs_for_calendar(
        small_calendar, sched_settings, _at(2026, 11, 29, 10), functions=functions
    )
    ids = [s.id for s in specs]
    assert len(ids) == len(set(ids)) == 12 * 2 + 3
    assert ids[:4] == [
        "pre-release:2026-11",
        "post-release:2026-11",
        "pre-release:2026-12",
        "post-release:2026-12",
    ]
    assert ids[-3:] == ["calendar-refresh", "tracking-catch-up", "data-inbox"]
    pre, post = specs[0], specs[1]
    # GACC-listed date 2026-12-08: pre-release two days before at 09:00, post on the day 12:00
    assert pre.fire_time == _at(2026, 12, 6, 9) and pre.release.basis == "calendar"
    assert post.fire_time == _at(2026, 12, 8, 12)
    assert post.kwargs["deadline"] == _at(2026, 12, 10, 12).isoformat()  # + 48 h
    assert pre.kwargs["functions"]["pre_release"].endswith("recorders:pre_release_job")
    assert pre.kwargs["config_path"] == str(sched_settings.config_path)
    # the combined January-February figure is one release, in March
    jan_feb = next(s for s in specs if s.id == "pre-release:2027-02")
    assert jan_feb.release.covers == "2027-01..2027-02"
    assert "pre-release:2027-01" not in ids
    # only simple, picklable values go to the job store
    for s in specs:
        assert all(isinstance(v, str | dict) for v in s.kwargs.values())
    assert specs[-3].schedule == "daily 00:15" and specs[-2].schedule == "hourly at :40"
    assert specs[-1].schedule == "every 5 min"
    assert specs[-1].kwargs["functions"]["data_inbox"].endswith("recorders:data_inbox_job")


def test_past_fire_times_within_grace_only_and_never_after_firing(
    sched_settings, small_calendar
) -> None:
    hour_after = _at(2026, 12, 6, 10)  # pre-release 2026-11 fired at 09:00; grace is 6 h
    ids = [s.id for s in jobs_for_calendar(small_calendar, sched_settings, hour_after)]
    assert ids[0] == "pre-release:2026-11"
    fired = jobs_for_calendar(
        small_calendar, sched_settings, hour_after, fired={"pre-release:2026-11"}
    )
    assert fired[0].id == "post-release:2026-11"
    too_late = _at(2026, 12, 6, 15, 1)
    assert jobs_for_calendar(small_calendar, sched_settings, too_late)[0].id == (
        "post-release:2026-11"
    )
    # the same instant given in UTC derives the same jobs
    utc = hour_after.astimezone(ZoneInfo("UTC"))
    assert [s.id for s in jobs_for_calendar(small_calendar, sched_settings, utc)] == ids


def test_naive_now_is_refused(sched_settings, small_calendar) -> None:
    with pytest.raises(ScheduleError, match="time-zone aware"):
        jobs_for_calendar(small_calendar, sched_settings, datetime(2026, 11, 29))


def test_spec_for_job_id_covers_every_form(sched_settings, small_calendar) -> None:
    pre = spec_for_job_id("pre-release:2026-11", small_calendar, sched_settings)
    assert pre.fire_time == _at(2026, 12, 6, 9) and pre.kwargs["period"] == "2026-11"
    past = spec_for_job_id("post-release:2026-10", small_calendar, sched_settings)
    assert past.fire_time == _at(2026, 11, 7, 12) and past.release.basis == "data"
    retry = spec_for_job_id("post-release:2026-11:retry", small_calendar, sched_settings)
    assert retry.id == "post-release:2026-11:retry" and retry.kind == "post-release"
    assert retry.kwargs["deadline"] == (_at(2026, 12, 8, 12) + timedelta(hours=48)).isoformat()
    assert spec_for_job_id("calendar-refresh", small_calendar, sched_settings).daily is not None
    with pytest.raises(ScheduleError, match="never released on its own"):
        spec_for_job_id("pre-release:2027-01", small_calendar, sched_settings)
    with pytest.raises(ScheduleError, match="unknown job id 'forecast'"):
        spec_for_job_id("forecast", small_calendar, sched_settings)


def test_pre_release_retry_id_is_refused(sched_settings, small_calendar) -> None:
    """Only a post-release has a ``:retry`` form; a pre-release one is a ScheduleError naming
    the id (it used to pass the id check and die on a KeyError for ``deadline``)."""
    with pytest.raises(ScheduleError, match=r"unknown job id 'pre-release:2026-11:retry'"):
        spec_for_job_id("pre-release:2026-11:retry", small_calendar, sched_settings)
    retry = spec_for_job_id("post-release:2026-11:retry", small_calendar, sched_settings)
    assert retry.id == "post-release:2026-11:retry" and retry.kind == "post-release"
    assert retry.fire_time == _at(2026, 12, 8, 12)
    assert retry.kwargs["deadline"] == (_at(2026, 12, 8, 12) + timedelta(hours=48)).isoformat()
