"""``forecasting schedule start/list/run-now`` and the ``calendar`` command."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from forecasting.cli.schedule import app as schedule_app
from forecasting.cli.schedule import calendar_command
from forecasting.errors import ScheduleError
from tests.conftest import REPO, run_cli
from tests.forecasting.scheduler.recorders import calls

runner = CliRunner()


def _start() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "forecasting", "schedule", "start"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
    )


def _wait_started(proc: subprocess.Popen, timeout: float = 60.0) -> str:
    """The ``scheduler started`` line (the lock is held by then)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        if sel.select(timeout=0.2):
            line = proc.stdout.readline()
            if not line:
                break
            text += line
            if "scheduler started" in line:
                return line
    proc.kill()
    raise AssertionError(f"no 'scheduler started' line: {text!r} {proc.stderr.read()!r}")


def _stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_second_instance_is_refused_and_the_lock_is_released(sched_project: Path) -> None:
    first = _start()
    try:
        line = _wait_started(first)
        assert re.search(r"scheduler started: \d+ jobs", line), line
        assert "lock file " in line and ".state/forecasting.db.locks/scheduler.lock" in line
        second = run_cli("schedule", "start")
        assert second.returncode == 6  # ScheduleError
        assert "another scheduler is already running" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        # the same database spelled otherwise: through '..', and through a symlinked folder
        (sched_project / "elsewhere").symlink_to(sched_project / ".state")
        for url in (
            f"sqlite:///{sched_project}/.state/../.state/forecasting.db",
            f"sqlite:///{sched_project}/elsewhere/forecasting.db",
        ):
            other = run_cli("schedule", "start", env_extra={"FORECASTING_DATABASE_URL": url})
            assert other.returncode == 6, other.stderr
            assert f"pid {first.pid}" in other.stderr and "Traceback" not in other.stderr
            assert len(other.stderr.strip().splitlines()) == 1
    finally:
        code, out, err = _stop(first)
    assert code == 0 and "scheduler stopped" in out
    assert '"event": "scheduler-stopped"' in err and "clean stop" in err
    # the lock went with the process: a new scheduler starts
    again = _start()
    try:
        _wait_started(again)
    finally:
        code, _, _ = _stop(again)
    assert code == 0


def test_list_shows_what_start_would_create_then_the_store(
    sched_project: Path, sched_settings
) -> None:
    result = runner.invoke(schedule_app, ["list"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps the line where the path ends
    assert "no jobs stored yet" in said and "would create" in said
    for text in (
        "pre-release:",
        "post-release:",
        "calendar-refresh",
        "tracking-catch-up",
        "data-inbox",
    ):
        assert text in result.output
    assert "(estimated)" in result.output or "(calendar)" in result.output

    from datetime import datetime
    from zoneinfo import ZoneInfo

    from forecasting.scheduler import build_scheduler, derive_jobs, install_jobs
    from forecasting.scheduler.specs import JobFunctions

    store = build_scheduler(sched_settings, process_jobs=False)
    store.start()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    install_jobs(store, derive_jobs(sched_settings, now, JobFunctions.from_env()), sched_settings)
    store.shutdown()
    result = runner.invoke(schedule_app, ["list"])
    assert result.exit_code == 0, result.output
    assert "27 scheduled jobs" in result.output and "cron[hour='0', minute='15']" in result.output
    assert "recorders:pre_release_job" in result.output
    assert "recorders:data_inbox_job" in result.output and "minute='*/5'" in result.output


def test_run_now_runs_the_job_function_in_process(sched_project: Path, sched_settings) -> None:
    result = runner.invoke(schedule_app, ["run-now", "pre-release:2026-11"])
    assert result.exit_code == 0, result.output
    assert "pre-release:2026-11: done" in result.output
    assert calls(sched_project) == ["pre_release_job 2026-11"]
    events = (sched_project / ".state" / "scheduler.log").read_text()
    assert '"event": "started"' in events and '"event": "succeeded"' in events

    (sched_project / "not-released").touch()
    result = runner.invoke(schedule_app, ["run-now", "post-release:2026-10"])
    assert result.exit_code == 0, result.output  # long past its deadline: recorded as missed
    assert "post-release:2026-10: missed" in result.output
    assert calls(sched_project)[-1] == "record_missed 2026-10"

    result = runner.invoke(schedule_app, ["run-now", "forecast-everything"])
    assert isinstance(result.exception, ScheduleError)
    assert "unknown job id" in str(result.exception)


def test_calendar_command(sched_project: Path) -> None:
    app = typer.Typer()
    app.command("calendar")(calendar_command)
    app.command("noop")(lambda: None)  # a group, so `calendar` is a subcommand as in the CLI
    result = runner.invoke(app, ["calendar"])
    assert result.exit_code == 0, result.output
    assert "next 12 China customs releases" in result.output
    assert "estimated (rule)" in result.output and "pre-release run" in result.output
    result = runner.invoke(app, ["calendar", "--year", "2025"])
    assert result.exit_code == 0, result.output
    # the March 2025 release covers January-February, its date comes from the data
    assert "2025-01–2025-02" in result.output and "data" in result.output


@pytest.mark.parametrize("year", ["1200"])
def test_calendar_rejects_a_silly_year(sched_project: Path, year: str) -> None:
    app = typer.Typer()
    app.command("calendar")(calendar_command)
    app.command("noop")(lambda: None)
    result = runner.invoke(app, ["calendar", "--year", year])
    assert result.exit_code != 0 and "not a year" in str(result.exception)
