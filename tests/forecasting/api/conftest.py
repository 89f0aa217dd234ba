"""API fixtures: a copy of the published project (a real SQLite store where the main job ran
on 2026-11-29 with the fast model set and recorded the 2026-11 forecasts), an app on it with
a fixed clock, an in-process client and a live uvicorn server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

#: the day the API answers for: the 2026-11 print (due 2026-12-07) is the next release
TODAY = date(2026, 12, 3)
TOKEN = "test-token-5f2c9e"


def copy_project(published: Any, root: Path) -> Path:
    """The published project's configuration and store copied under ``root`` (MLflow is not
    copied: the API never writes to it); returns the configuration file."""
    shutil.copytree(published.root / "configs", root / "configs")
    shutil.copytree(
        published.root / ".state", root / ".state", ignore=shutil.ignore_patterns("*.lock")
    )
    return root / "configs" / "forecasting.toml"


def open_copy(config: Path) -> Any:
    from forecasting.config import load_settings
    from forecasting.service import open_service

    return open_service(load_settings(config))


@pytest.fixture
def store_copy(published: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the published project; the environment points at it."""
    config = copy_project(published, tmp_path / "project")
    monkeypatch.setenv("FORECASTING_CONFIG", str(config))
    monkeypatch.delenv("FORECASTING_DATABASE_URL", raising=False)
    monkeypatch.delenv("FORECASTING_API_TOKEN", raising=False)
    return config


def make_client(config: Path, **options: Any) -> Any:
    """A TestClient on an app over ``config``'s store (token :data:`TOKEN`, clock
    :data:`TODAY`, unless ``options`` say otherwise)."""
    from fastapi.testclient import TestClient

    from forecasting.api import create_app

    options = {"token": TOKEN, "clock": lambda: TODAY} | options
    app = create_app(service=open_copy(config), **options)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(store_copy: Path) -> Iterator[Any]:
    with make_client(store_copy) as c:
        yield c


AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class LiveServer:
    url: str
    app: Any
    server: Any
    thread: threading.Thread


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app: Any) -> LiveServer:
    """uvicorn serving ``app`` on a free localhost port, in a thread; stop with
    :func:`stop_server`."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", app, server, thread)


def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True
    live.thread.join(timeout=15)


@pytest.fixture
def live(store_copy: Path) -> Iterator[LiveServer]:
    """A live server (token :data:`TOKEN`, clock :data:`TODAY`) on a copy of the store."""
    from forecasting.api import create_app

    app = create_app(service=open_copy(store_copy), token=TOKEN, clock=lambda: TODAY)
    server = start_server(app)
    yield server
    stop_server(server)
