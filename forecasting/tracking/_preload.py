"""MLflow's and matplotlib's imports, done while the backtest's workers fit.

Importing ``mlflow`` (with its SQL store and migrations code) and ``matplotlib`` takes a
couple of seconds of one core: done after a backtest, it was most of what logging it cost.
A backtest command hands :func:`preload` to the backtest, which calls it once its worker
processes are all started: the main process only waits for them then, so a thread can import
meanwhile, and :func:`~forecasting.tracking.log_backtest` later finds the modules loaded.

Given the settings, the thread then opens a local (SQLite) tracking store: a new one is
created there (MLflow's migrations, ~1 s), an existing one checked. No run is made, and the
main thread's own MLflow calls wait for the thread first
(:func:`forecasting.tracking._store.connected` calls :func:`join_preloads`), so they never
share MLflow's global settings with it. A process never forks while the thread runs: a
backtest waits for it (by its name, :data:`THREAD_NAME`) before it makes a new pool of forked
workers (a fork while another thread holds an import lock could leave the child waiting for
it for ever).
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forecasting.config import Settings

__all__ = ["PRELOADED", "THREAD_NAME", "join_preloads", "preload"]

#: the modules :func:`preload` imports, in order
PRELOADED = (
    "mlflow",
    "mlflow.entities",
    "mlflow.store.tracking.sqlalchemy_store",
    "forecasting.plots",
)
#: the thread's name (:func:`forecasting.backtest.run_backtest` waits for it before forking)
THREAD_NAME = "forecasting-preload"
_LOCK = threading.Lock()
_thread: threading.Thread | None = None


def _import_all(settings: Settings | None) -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - logging imports it again and reports the failure
            return
    if settings is not None and settings.mlflow.tracking_uri.startswith("sqlite:"):
        from forecasting.tracking._store import connected

        try:
            with connected(settings) as mlflow:
                mlflow.MlflowClient().search_experiments(max_results=1)
        except Exception:  # noqa: BLE001 - logging opens it again and reports the failure
            return


def preload(settings: Settings | None = None) -> threading.Thread:
    """Start importing :data:`PRELOADED` (and with ``settings``, opening their local tracking
    store) in a daemon thread (once per process; later calls return the same thread)."""
    global _thread
    with _LOCK:
        if _thread is None:
            _thread = threading.Thread(
                target=_import_all, args=(settings,), name=THREAD_NAME, daemon=True
            )
            _thread.start()
        return _thread


def join_preloads() -> None:
    """Wait for a running :func:`preload` to finish (before forking, before using MLflow);
    nothing in the preload thread itself."""
    thread = _thread
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        thread.join()
