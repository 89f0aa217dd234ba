"""The MLflow UI in a real browser with a fresh profile: the experiment opens on its runs table.

MLflow 3.17's UI opens any experiment on the GenAI overview in a fresh browser, whatever its
kind tag (the control test shows it on the bare server); the launcher's proxy makes the runs
table the default, and keeps a choice the user makes in the sidebar.

Headless Chromium (Debian's ``chromium`` package, never a downloaded build) driven by
Playwright; each test opens a new browser context, i.e. an empty profile (no local storage,
no cache). Skipped where either is missing; ``.ci/run`` installs the browser. Screenshots go
to each test's tmp directory (the path is printed).
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from forecasting.mlflow_ui import UiServer, experiment_links, serve_ui
from tests.browser import NEEDS_CHROMIUM, chromium

EXPERIMENT = "china-trade-exports_yoy"
RUNS = ("backtest exports_yoy 2016-01..2018-12", "forecast exports_yoy 2026-11 as of 2026-12-05")
GENAI_OVERVIEW = ("Token Usage", "Tokens per Trace", "Cost Breakdown")
STORAGE_KEY = "mlflow.workflowType_v1"
WAIT_MS = 60_000

pytestmark = [
    pytest.mark.slow,
    NEEDS_CHROMIUM,
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(base_url: str, endpoint: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base_url}/api/2.0/mlflow/{endpoint}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return json.load(resp)


def _add_experiment_with_runs(base_url: str, artifacts: Path) -> str:
    """The forecasting experiment (kind tag set, as the tracking module sets it) with two
    finished runs, written through the server's REST API; the experiment id."""
    experiment_id = _post(
        base_url,
        "experiments/create",
        {
            "name": EXPERIMENT,
            "artifact_location": artifacts.as_uri(),
            "tags": [{"key": "mlflow.experimentKind", "value": "forecasting"}],
        },
    )["experiment_id"]
    now = int(time.time() * 1000)
    for name, mae in zip(RUNS, (2.31, 1.87), strict=True):
        run = _post(
            base_url,
            "runs/create",
            {"experiment_id": experiment_id, "run_name": name, "start_time": now},
        )
        run_id = run["run"]["info"]["run_id"]  # type: ignore[index]
        _post(
            base_url,
            "runs/log-metric",
            {"run_id": run_id, "key": "mae", "value": mae, "timestamp": now, "step": 0},
        )
        _post(base_url, "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now})
    return str(experiment_id)


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiServer, str]]:
    """The launcher's UI on a new store holding the experiment; (server, experiment id)."""
    root = tmp_path_factory.mktemp("ui")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        with serve_ui(f"sqlite:///{root / 'mlflow.db'}", port=_free_port()) as server:
            yield server, _add_experiment_with_runs(server.url, root / "artifacts")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a new context: a fresh profile, nothing stored."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    yield context.new_page()
    context.close()


def _stored_choice(page: Any) -> str | None:
    return page.evaluate(f"window.localStorage.getItem({json.dumps(STORAGE_KEY)})")


def _assert_runs_table(page: Any, experiment_id: str, screenshot: Path, started: float) -> None:
    """The rendered page is the experiment's runs table with both runs, not a GenAI page."""
    for name in RUNS:  # each run is a row of the runs table
        page.get_by_role("row").filter(has_text=name).first.wait_for(timeout=WAIT_MS)
    rendered = time.monotonic() - started
    page.screenshot(path=str(screenshot))
    text = page.inner_text("body")
    assert f"#/experiments/{experiment_id}/runs" in page.url
    assert EXPERIMENT in text
    assert "2 matching runs" in text
    assert not [marker for marker in GENAI_OVERVIEW if marker in text]
    assert screenshot.stat().st_size > 10_000
    print(f"runs table rendered in {rendered:.1f} s; screenshot {screenshot}")


def test_clicking_the_experiment_in_the_list_opens_its_runs_table(
    ui: tuple[UiServer, str], page: Any, tmp_path: Path
) -> None:
    server, experiment_id = ui
    started = time.monotonic()
    page.goto(f"{server.url}/")
    page.get_by_role("link", name="Experiments", exact=True).first.click()
    page.get_by_role("link", name=EXPERIMENT, exact=True).first.click()
    _assert_runs_table(page, experiment_id, tmp_path / "clicked-in-the-list.png", started)
    assert _stored_choice(page) == '"machine_learning"'  # JSON-encoded, as the app stores it


def test_the_experiment_url_opens_its_runs_table(
    ui: tuple[UiServer, str], page: Any, tmp_path: Path
) -> None:
    server, experiment_id = ui
    started = time.monotonic()
    page.goto(f"{server.url}/#/experiments/{experiment_id}")
    _assert_runs_table(page, experiment_id, tmp_path / "experiment-url.png", started)


def test_the_printed_link_opens_its_runs_table(
    ui: tuple[UiServer, str], page: Any, tmp_path: Path
) -> None:
    server, experiment_id = ui
    link = dict(experiment_links(server.url))[EXPERIMENT]
    assert link.endswith(f"/#/experiments/{experiment_id}/runs?workflowType=machine_learning")
    started = time.monotonic()
    page.goto(link)
    _assert_runs_table(page, experiment_id, tmp_path / "printed-link.png", started)


def test_a_choice_of_genai_made_in_the_sidebar_is_kept(
    ui: tuple[UiServer, str], page: Any, tmp_path: Path
) -> None:
    server, experiment_id = ui
    page.goto(f"{server.url}/#/experiments/{experiment_id}")
    page.get_by_role("row").filter(has_text=RUNS[0]).first.wait_for(timeout=WAIT_MS)
    page.get_by_text("GenAI", exact=True).first.click()  # the sidebar's switch
    page.get_by_text("Token Usage", exact=True).first.wait_for(timeout=WAIT_MS)
    assert _stored_choice(page) == '"genai"'

    page.goto(f"{server.url}/")  # the entry page again, with its script
    page.reload()
    page.goto(f"{server.url}/#/experiments/{experiment_id}")
    page.get_by_text("Token Usage", exact=True).first.wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "user-chose-genai.png"))
    assert _stored_choice(page) == '"genai"'
    assert "/overview" in page.url and "2 matching runs" not in page.inner_text("body")


def test_control_the_bare_mlflow_server_opens_the_genai_overview(
    ui: tuple[UiServer, str], page: Any, tmp_path: Path
) -> None:
    """Without the proxy (the server's own port) a fresh browser lands on the GenAI overview:
    what the tests above would see if the default view were not set."""
    server, experiment_id = ui
    page.goto(f"http://127.0.0.1:{server.upstream_port}/#/experiments/{experiment_id}")
    page.get_by_text("Token Usage", exact=True).first.wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(tmp_path / "bare-server.png"))
    assert _stored_choice(page) is None
    assert "workflowType=genai" in page.url and "2 matching runs" not in page.inner_text("body")
