"""Scheduler fixtures: a tmp project whose jobs are the fast recorders, and scheduler cleanup."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from forecasting.calendar import ReleaseCalendar

RECORDERS = "tests.forecasting.scheduler.recorders"


@pytest.fixture
def sched_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``project`` with the recorder job functions; the model set is trimmed to ``naive`` so
    these tests do not depend on which models are registered (the scheduler never fits one)."""
    cfg = project / "configs" / "forecasting.toml"
    lines = [
        'default = ["naive"]' if line.startswith("default = [") else line
        for line in cfg.read_text(encoding="utf-8").splitlines()
    ]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setenv("FORECASTING_JOBS_MODULE", RECORDERS)
    return project


@pytest.fixture
def sched_settings(sched_project: Path):  # noqa: ANN201
    from forecasting.config import load_settings

    return load_settings()


@pytest.fixture
def schedulers() -> Iterator[list]:
    """Schedulers a test starts; shut down afterwards even when the test fails."""
    started: list = []
    yield started
    for s in started:
        if s.running:
            s.shutdown(wait=True)


@pytest.fixture
def small_calendar() -> ReleaseCalendar:
    """October 2026 released (data), November listed (GACC calendar), the rest estimated."""
    return ReleaseCalendar(
        observed={"2026-10": date(2026, 11, 7), "2025-12": date(2026, 1, 14)},
        listed={"2026-11": date(2026, 12, 8)},
    )


def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> object:
    """Poll ``predicate`` until truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")
