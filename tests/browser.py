"""Headless Chromium for the page tests: Debian's ``chromium`` (never a downloaded build)
driven by Playwright. Tests mark themselves with :data:`NEEDS_CHROMIUM` and take a browser
from :func:`chromium`; ``.ci/run`` installs the package."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHROMIUM", "NEEDS_CHROMIUM", "chromium"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NEEDS_CHROMIUM = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="no chromium installed")


def chromium() -> Iterator[Any]:
    """A launched headless Chromium (skips the test without Playwright); closed after."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        yield launched
        launched.close()
