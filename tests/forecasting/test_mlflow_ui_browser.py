"""The MLflow UI in a real browser: the link the launcher prints opens the experiment's runs
(in MLflow 3.17 the bare experiment page opens on the GenAI overview whatever its kind tag).

Headless Chromium (Debian's ``chromium`` package, never a downloaded build) driven by
Playwright. Skipped where either is missing; ``.ci/run`` installs the browser.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from forecasting.mlflow_ui import experiment_links, serve_ui

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPERIMENT = "china-trade-exports_yoy"
RUNS = ("backtest exports_yoy 2016-01..2018-12", "forecast exports_yoy 2026-11 as of 2026-12-05")
GENAI_OVERVIEW = ("Token Usage", "Tokens per Trace", "Cost Breakdown")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="no chromium installed"),
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


def test_the_printed_link_shows_the_runs_table_not_the_genai_overview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    screenshot = tmp_path / "mlflow-ui-runs.png"

    with serve_ui(uri, port=_free_port()) as server:
        experiment_id = _add_experiment_with_runs(server.url, tmp_path / "artifacts")
        links = dict(experiment_links(server.url))
        assert links[EXPERIMENT].endswith(
            f"/#/experiments/{experiment_id}/runs?workflowType=machine_learning"
        )
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                started = time.monotonic()
                page.goto(links[EXPERIMENT])
                for name in RUNS:  # each run is a row of the runs table
                    page.get_by_role("row").filter(has_text=name).first.wait_for(timeout=60_000)
                rendered = time.monotonic() - started
                page.screenshot(path=str(screenshot))
                text = page.inner_text("body")
                url = page.url
            finally:
                browser.close()

    assert f"#/experiments/{experiment_id}/runs" in url
    assert EXPERIMENT in text
    assert "2 matching runs" in text
    assert not [marker for marker in GENAI_OVERVIEW if marker in text]
    assert screenshot.stat().st_size > 10_000
    print(f"runs table rendered in {rendered:.1f} s; screenshot {screenshot}")
