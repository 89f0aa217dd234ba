"""`forecasting serve`: a taken port is one line and exit 2 before the store is opened; the
real command serves a store copy with the token from the environment (a write without it is
refused and changes nothing, with it the poll is stored) and stops cleanly on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.forecasting.api.conftest import copy_project, free_port, open_copy

TOKEN = "serve-cli-token-8d1e"


def test_a_port_in_use_is_one_clean_line(cli: Callable[..., Any], project: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        res = cli("serve", "--port", str(port))
    assert res.code == 2, res
    line = f"port {port} on 127.0.0.1 is already in use; stop what holds it or choose another port"
    assert line in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr + res.stdout
    unresolved = cli("serve", "--host", "no-such-host.invalid", "--port", str(port))
    assert unresolved.code == 2 and "cannot resolve it" in unresolved.stderr


@pytest.mark.slow
def test_serve_reads_and_writes_with_the_token_from_the_environment(
    published: Any, tmp_path: Path
) -> None:
    config = copy_project(published, tmp_path / "project")
    port = free_port()
    env = os.environ | {"FORECASTING_CONFIG": str(config), "FORECASTING_API_TOKEN": TOKEN}
    env.pop("FORECASTING_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecasting", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    poll = {"target": "exports_yoy", "period": "2026-11", "consensus": 2.9, "source": "wsj"}
    try:
        health = _wait_for(f"{url}/api/health", proc)
        assert health == {"status": "ok", "version": health["version"], "writes_enabled": True}
        before = open_copy(config).consensus.frame()
        refused = httpx.post(f"{url}/api/consensus", json={"polls": [poll]}, timeout=30)
        assert refused.status_code == 401
        assert len(open_copy(config).consensus.frame()) == len(before)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        stored = httpx.post(f"{url}/api/consensus", json={"polls": [poll]}, headers=auth)
        assert stored.status_code == 200 and stored.json()["added"] == 1
        polls = open_copy(config).consensus.frame("exports_yoy")
        assert ((polls["period"] == "2026-11") & (polls["consensus"] == 2.9)).sum() == 1
        page = httpx.get(f"{url}/", timeout=30)
        assert page.status_code == 200 and "/static/dashboard.js" in page.text
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, out  # Ctrl-C, as every command exits on it
    assert f"dashboard {url}/" in out and "writes need 'Authorization: Bearer" in out
    assert TOKEN not in out and "Traceback" not in out


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited {proc.returncode}: {proc.communicate()[0]}")
        try:
            return httpx.get(url, timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"serve did not answer {url} within {timeout:g} s")
