"""MLflow's and matplotlib's imports, done while the backtest's workers fit.

Importing ``mlflow`` (with its SQL store and migrations code) and ``matplotlib`` takes a
couple of seconds of one core: done after a backtest, it was most of what logging it cost.
A backtest command hands :func:`preload` to the backtest, which calls it once its worker
processes are all started: the main process only waits for them then, so a thread can import
meanwhile, and :func:`~forecasting.tracking.log_backtest` later finds the modules loaded.

Only imports happen in the thread (no connection, no run, no global MLflow setting), and a
process never forks while one runs: a backtest waits for the thread (by its name,
:data:`THREAD_NAME`) before it makes a new pool of forked workers (a fork while another
thread holds an import lock could leave the child waiting for it for ever).
"""

from __future__ import annotations

import importlib
import threading

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


def _import_all() -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - logging imports it again and reports the failure
            return


def preload() -> threading.Thread:
    """Start importing :data:`PRELOADED` in a daemon thread (once per process; later calls
    return the same thread)."""
    global _thread
    with _LOCK:
        if _thread is None:
            _thread = threading.Thread(target=_import_all, name=THREAD_NAME, daemon=True)
            _thread.start()
        return _thread


def join_preloads() -> None:
    """Wait for a running :func:`preload` to finish (before forking)."""
    thread = _thread
    if thread is not None and thread.is_alive():
        thread.join()
