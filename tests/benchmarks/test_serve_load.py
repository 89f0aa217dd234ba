"""The load benchmark's quick mode against a live server on a copy of the published store:
every read and the page answered, no error, a table printed (no speed asserted)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.forecasting.api.conftest import (
    TODAY,
    LiveServer,
    copy_project,
    open_copy,
    start_server,
    stop_server,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(published: Any, tmp_path: Path) -> Iterator[LiveServer]:
    from forecasting.api import create_app

    config = copy_project(published, tmp_path / "project")
    server = start_server(create_app(service=open_copy(config), token=None, clock=lambda: TODAY))
    yield server
    stop_server(server)


def test_quick_mode_reads_every_endpoint_without_error(
    live: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import serve_load
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    phases: list[Any] = serve_load.main(["--url", live.url, "--quick"])
    out = capsys.readouterr().out
    assert "full reads (200)" in out and "revalidate (If-None-Match, 304)" in out
    assert "load average before" in out and "p99 ms" in out
    for phase in phases:
        assert phase.requests == 100
        assert not sum(phase.errors.values()), phase.errors
        assert set(phase.latencies) == {p.format(period="2026-11") for p in serve_load.READS}
