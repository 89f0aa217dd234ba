"""The release dashboard in a real browser: headless Chromium (Debian's ``chromium``, never a
downloaded build) driven by Playwright loads ``/`` from a live server on a prepared store and
shows each coming print's figures, its consensus and the evolution chart, the balance in USD
bn without a recent poll and the year's surplus, with nothing fetched from outside the
server. Screenshots at laptop and phone sizes go to the test's tmp directory, or to
``$FORECASTING_SCREENSHOTS`` (the paths are printed). Skipped where no browser is installed;
``.ci/run`` installs one.

The store: the published project (the main job's 2026-11 forecasts recorded as of
2026-11-30), then a Reuters poll for exports, a Korean export figure released on 2026-12-01
and a second exports forecast recorded as of 2026-12-03 (the same library calls as
``forecasting consensus add``, ``data add`` and ``forecast``; the ledger without MLflow).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.browser import NEEDS_CHROMIUM, chromium
from tests.forecasting.api.conftest import (
    TODAY,
    LiveServer,
    copy_project,
    open_copy,
    start_server,
    stop_server,
)

WAIT_MS = 60_000
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
CONSENSUS = 4.0
#: a folder to keep the screenshots in (default: the test's tmp directory)
SHOTS_ENV = "FORECASTING_SCREENSHOTS"

pytestmark = [
    pytest.mark.slow,
    NEEDS_CHROMIUM,
]


@pytest.fixture(scope="module")
def served(published: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from forecasting.api import create_app
    from forecasting.jobs.record import ledger_rows
    from forecasting.usecases import forecast_release

    config = copy_project(published, tmp_path_factory.mktemp("dashboard"))
    svc = open_copy(config)
    svc.consensus.add(
        target="exports_yoy",
        period="2026-11",
        value=CONSENSUS,
        source="reuters",
        n_economists=25,
        polled_on=date(2026, 12, 1),
        today=TODAY,
    )
    row = {"series": "kr_exports_yoy", "period": "2026-11", "value": 7.5}
    row |= {"released": "2026-12-01", "source": "test"}
    svc.observations.add_frame(pd.DataFrame([row]), today=TODAY, where="test")
    fc = forecast_release(svc, "exports_yoy", today=date(2026, 12, 2), models=None)
    svc.ledger.append(ledger_rows(fc), job_id="forecast-browser-test", origin="forecast")
    server = start_server(create_app(service=svc, token=None, clock=lambda: TODAY))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium()


def _signed(x: float) -> str:
    """The page's number format: +1.5, −0.3 (a true minus sign)."""
    text = f"{abs(x):.1f}"
    return ("+" if x > 0 else "−" if x < 0 else "") + text


@pytest.mark.parametrize("size", list(SIZES))
def test_the_dashboard_shows_the_coming_print_its_consensus_and_the_evolution(
    served: LiveServer, browser: Any, tmp_path: Path, size: str
) -> None:
    import httpx

    want = httpx.get(f"{served.url}/api/targets/exports_yoy/next-release", timeout=60).json()
    balance = httpx.get(f"{served.url}/api/targets/balance_usd_bn/next-release", timeout=60).json()
    surplus = httpx.get(f"{served.url}/api/surplus", timeout=60).json()
    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    outside: list[str] = []
    problems: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((served.url, "data:")) else outside.append(r.url),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{served.url}/")
    card = page.locator('section[data-target="exports_yoy"]')
    card.locator("svg.evolution").wait_for(timeout=WAIT_MS)
    shots = Path(os.environ.get(SHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"dashboard-{size}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot {shot}")

    assert card.locator(".forecast-value").inner_text() == _signed(want["ensemble"]["yhat"])
    assert card.locator(".figure.forecast .unit").inner_text() == "%"
    assert card.locator(".consensus-value").inner_text() == _signed(CONSENSUS)
    p_beat = want["ensemble"]["p_beat"]
    assert card.locator(".pbeat-value").inner_text() == f"{round(p_beat * 100)}%"
    assert "2026-11 print" in card.inner_text() and "in 4 days" in card.inner_text()
    chart = card.locator("svg.evolution")
    assert chart.get_attribute("data-points") == "2"  # the job's and the later forecast
    assert chart.locator("circle.model-dot").count() == 2
    assert chart.locator("path.cons-line").count() == 1  # the consensus as a line
    assert chart.locator("line.marker").count() >= 1  # the Korean release marked
    assert card.locator("svg.fan").count() == 1
    assert card.locator("table.track-record tbody tr").count() == 12
    assert page.locator("section.target").count() == 3

    # the balance: USD bn, and no recent consensus poll said, not left blank
    bal = page.locator('section[data-target="balance_usd_bn"]')
    assert bal.locator(".forecast-value").inner_text() == _signed(balance["ensemble"]["yhat"])
    assert bal.locator(".figure.forecast .unit").inner_text().strip() == "bn"
    assert bal.locator(".consensus-value").inner_text() == "no recent poll"
    last_poll = balance["last_polled_period"]
    shown = bal.locator(".figure.consensus").inner_text()
    assert f"the last poll stored is for {last_poll}" in shown
    note = f"no recent consensus poll (the last one stored is for {last_poll})"
    assert note in bal.locator(".legend").first.inner_text()
    assert "No recent consensus poll" in bal.locator(".track-record + .note").inner_text()
    assert bal.locator("table.track-record th").all_inner_texts()[4] == "error"

    # the year's surplus: the projection and a bar per month of the year
    box = page.locator("section.surplus")
    assert box.locator(".forecast-value").inner_text() == f"{surplus['total']:.0f}"
    assert box.locator(".released-value").inner_text() == f"{surplus['released_sum']:.0f}"
    bars = box.locator("svg.surplus-months")
    assert bars.locator("rect.bar-released").count() == len(surplus["released"])
    assert bars.locator("rect.bar-forecast").count() == len(surplus["remaining"])
    assert not outside, outside  # every script and style from the server itself
    assert not problems, problems
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"]  # nothing wider than the screen
    assert shot.stat().st_size > 20_000
    context.close()
