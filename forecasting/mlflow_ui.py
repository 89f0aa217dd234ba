"""Serve the MLflow UI on the project's tracking store, and stop everything it started.

``mlflow server`` is a tree of processes (the CLI, uvicorn, its workers and, unless disabled,
a job runner and its consumers). :func:`run_ui` starts it on an internal loopback port, in a
session of its own, behind a :class:`~forecasting.reverse_proxy.ReverseProxy` on the
user-facing port. The proxy forwards everything unchanged but the UI's entry page, into which
it puts :data:`~forecasting.mlflow_ui_view.DEFAULT_VIEW_SCRIPT`: in a fresh browser the UI
then opens experiments on their runs table (the model-training view) instead of MLflow 3.10+'s
GenAI overview, and a choice made in the sidebar is kept (:mod:`forecasting.mlflow_ui_view`
has the evidence from the UI bundle).

On Ctrl-C, SIGTERM or SIGHUP, or when the server exits, it stops the proxy (its threads and
connections) and every live process of the server's session
(:mod:`forecasting.process_session`: SIGTERM, then SIGKILL for what is left after
``stop_timeout`` seconds); it returns once the port is free. mlflow itself is never imported
here (only the tracking module does that): the server is ``python -m mlflow server``, and the
experiments are read from its REST API.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from forecasting.errors import PortInUseError, TrackingError
from forecasting.masking import mask_url
from forecasting.mlflow_ui_view import (
    UI_ENTRY_PATHS,
    runs_page_url,
    with_model_training_default,
)
from forecasting.process_session import (
    StopRequested,
    port_in_use,
    session_members,
    signals_ignored,
    stop_on_signals,
    stop_session,
    wait_until,
)
from forecasting.reverse_proxy import ReverseProxy

__all__ = [
    "UiServer",
    "experiment_links",
    "is_remote_tracking_uri",
    "launch_ui",
    "mask_url",
    "run_ui",
    "runs_page_url",
    "serve_ui",
    "start_ui",
    "wait_until_ready",
]

REMOTE_SCHEMES = ("http", "https", "databricks")
_UPSTREAM_HOST = "127.0.0.1"


def is_remote_tracking_uri(uri: str) -> bool:
    """True for a tracking server someone else runs (``http(s)://``, ``databricks``)."""
    return uri.split(":", 1)[0].lower() in REMOTE_SCHEMES


def experiment_links(base_url: str, *, timeout: float = 5.0) -> list[tuple[str, str]]:
    """``(experiment name, runs page URL)`` for each active experiment of a running server.

    Returns an empty list when the server does not answer or answers something else.
    """
    url = f"{base_url.rstrip('/')}/ajax-api/2.0/mlflow/experiments/search?max_results=1000"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - our server
            payload = json.load(resp)
    except (OSError, ValueError):
        return []
    experiments = payload.get("experiments", []) if isinstance(payload, dict) else []
    return [
        (str(e["name"]), runs_page_url(base_url, str(e["experiment_id"])))
        for e in experiments
        if isinstance(e, dict) and "name" in e and "experiment_id" in e
    ]


def _url_host(host: str) -> str:
    """The host to browse for a listening address (wildcards map to loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


@dataclass
class UiServer:
    """A running UI: the proxy on the user-facing ``host:port`` (``url``) and the ``mlflow
    server`` behind it on ``upstream_port`` (the leader of its session: pid = session id)."""

    url: str
    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    proxy: ReverseProxy
    upstream_port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def live_processes(self) -> list[int]:
        """Pids of every live process the server started (its session)."""
        return session_members(self.pid)

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the proxy (its threads and connections) and every process of the server's
        session, and wait for the port to be free.

        SIGTERM first; SIGKILL to whatever is alive after ``timeout`` seconds. Returns the
        server's exit code (negative: the signal that ended it).
        """
        self.proxy.stop(timeout=5.0)
        stop_session(self.pid, timeout)
        code = self.process.wait()
        wait_until(lambda: not port_in_use(self.host, self.port), 5.0)
        self.log.close()
        return code

    def last_output(self, lines: int = 3) -> str:
        """The last ``lines`` lines the server printed, joined with `` | ``."""
        with contextlib.suppress(OSError, ValueError):
            self.log.flush()
            self.log.seek(0)
            return " | ".join(
                self.log.read().decode(errors="replace").strip().splitlines()[-lines:]
            )
        return ""


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((_UPSTREAM_HOST, 0))
        return int(probe.getsockname()[1])


def _server_command(port: int, workers: int, artifacts_destination: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "mlflow", "server", "--host", _UPSTREAM_HOST, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    if artifacts_destination is not None:
        cmd += ["--artifacts-destination", Path(artifacts_destination).resolve().as_uri()]
    return cmd


def _server_env(tracking_uri: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MLFLOW_BACKEND_STORE_URI"] = tracking_uri  # not on the command line: ps shows that
    env.pop("MLFLOW_TRACKING_URI", None)
    # The job runner serves GenAI judges and trace jobs this project does not use; without it
    # the server is two processes instead of a dozen.
    env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
    return env


def launch_ui(
    tracking_uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    artifacts_destination: Path | None = None,
    log_path: Path | None = None,
) -> UiServer:
    """Start the UI on ``host:port``; do not wait for it to answer.

    That is a :class:`~forecasting.reverse_proxy.ReverseProxy` on ``host:port``, serving the
    UI's entry page with the model-training view as default
    (:func:`~forecasting.mlflow_ui_view.with_model_training_default`), in front of ``mlflow
    server`` on ``tracking_uri`` on a free loopback port, in a session of its own. Its own
    session keeps Ctrl-C in the terminal from reaching the server: the caller decides when to
    stop it all (:meth:`UiServer.stop`). The server's output goes to ``log_path`` (default: a
    temporary file, read back for the error message if it fails to start).

    Raises:
        PortInUseError: something already listens on ``host:port``.
        ConfigError: ``host`` cannot be listened on.
    """
    if port_in_use(host, port):
        raise PortInUseError(
            f"MLflow UI: port {port} on {host} is already in use; "
            "stop what holds it or choose another port (--port)"
        )
    upstream_port = _free_loopback_port()
    pages = dict.fromkeys(UI_ENTRY_PATHS, with_model_training_default)
    proxy = ReverseProxy(host, port, (_UPSTREAM_HOST, upstream_port), pages)
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    try:
        proxy.start()
        process = subprocess.Popen(
            _server_command(upstream_port, workers, artifacts_destination),
            env=_server_env(tracking_uri),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except BaseException:
        proxy.stop()
        log.close()
        raise
    url = f"http://{_url_host(host)}:{proxy.port}"
    return UiServer(url, host, proxy.port, process, log, proxy, upstream_port)


def wait_until_ready(server: UiServer, tracking_uri: str, timeout: float = 120.0) -> None:
    """Wait until ``server`` answers ``/health``.

    Raises:
        TrackingError: the server exited, or did not answer within ``timeout`` seconds; the
            message ends with the last lines it printed. The caller still stops it.
    """
    process = server.process
    wait_until(lambda: process.poll() is not None or _healthy(server), timeout, step=0.25)
    if process.poll() is None and _healthy(server):
        return
    code = process.poll()
    what = (
        f"exited with code {code}" if code is not None else f"did not answer within {timeout:.0f} s"
    )
    raise TrackingError(
        f"MLflow UI server on {mask_url(tracking_uri)} {what}: {server.last_output()}"
    )


def start_ui(
    tracking_uri: str,
    *,
    start_timeout: float = 120.0,
    **options: Any,
) -> UiServer:
    """:func:`launch_ui` and :func:`wait_until_ready`; the server is stopped if it fails.

    ``options`` are :func:`launch_ui`'s (host, port, workers, artifacts_destination,
    log_path).

    Raises:
        PortInUseError, ConfigError: from :func:`launch_ui`.
        TrackingError: from :func:`wait_until_ready`.
    """
    server = launch_ui(tracking_uri, **options)
    try:
        wait_until_ready(server, tracking_uri, start_timeout)
    except BaseException:
        server.stop(timeout=5.0)
        raise
    return server


def _healthy(server: UiServer) -> bool:
    try:
        with urllib.request.urlopen(f"{server.url}/health", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def serve_ui(tracking_uri: str, **options: Any) -> Iterator[UiServer]:
    """:func:`start_ui` (same options) as a context manager that stops the server on exit."""
    server = start_ui(tracking_uri, **options)
    try:
        yield server
    finally:
        server.stop()


def run_ui(
    tracking_uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    artifacts_destination: Path | None = None,
    on_ready: Callable[[str], None] | None = None,
    echo: Callable[[str], None] = print,
    stop_timeout: float = 10.0,
    start_timeout: float = 120.0,
) -> int:
    """Serve the MLflow UI on ``tracking_uri`` until Ctrl-C, SIGTERM or SIGHUP; the exit code.

    A remote tracking URI (``http(s)://``, ``databricks``) starts nothing: it says where to
    browse and returns 0. Otherwise it starts ``mlflow server`` behind the proxy that makes the
    runs table the default view (:func:`launch_ui`), says where to browse (each experiment's
    runs page), calls ``on_ready(url)``, and waits. On a signal it stops the proxy and every
    process it started (:meth:`UiServer.stop`) and returns 128 + the signal number
    (130 for Ctrl-C, 143 for SIGTERM); if the server ends by itself, its exit code. URLs it
    prints have their passwords masked.

    Raises:
        PortInUseError, ConfigError, TrackingError: as :func:`start_ui`.
    """
    shown = mask_url(tracking_uri)
    if is_remote_tracking_uri(tracking_uri):
        echo(f"the tracking server is remote: browse {shown}")
        echo("(pick 'Model training' in its sidebar to see the runs of an experiment)")
        return 0
    with stop_on_signals():
        server: UiServer | None = None
        try:
            server = launch_ui(
                tracking_uri, host=host, port=port, artifacts_destination=artifacts_destination
            )
            echo(f"starting the MLflow UI on {server.url} (store {shown})")
            wait_until_ready(server, tracking_uri, start_timeout)
            echo(f"MLflow UI on {server.url} (store {shown}); Ctrl-C stops it")
            for name, link in experiment_links(server.url):
                echo(f"  {name}: {link}")
            if on_ready is not None:
                on_ready(server.url)
            while server.process.poll() is None:
                time.sleep(0.2)
            code = server.process.returncode
            echo(f"the MLflow UI server exited with code {code}")
        except StopRequested as stop:
            code = 128 + stop.signum
            echo(f"stopping the MLflow UI ({signal.Signals(stop.signum).name})")
        finally:
            if server is not None:
                with signals_ignored():
                    server.stop(timeout=stop_timeout)
    return code
