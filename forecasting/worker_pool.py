"""The forked worker processes of a backtest, and one pool shared by the backtests of a job.

A backtest with ``jobs`` > 1 forks its worker processes; each then imports the model
libraries on its first origin (statsmodels, Prophet, scikit-learn: ~2 s of a core each) and
the pool is shut down when the backtest ends. The main job runs three backtests and the
forecasts' history on the same observations: inside :func:`shared_workers` they use one pool,
forked once (before any other thread of the job starts, so no fork happens while a thread
holds a lock), its workers importing the libraries once.

A worker holds the observations it was forked with (:func:`_init_worker`); a backtest on
other observations (data added meanwhile) does not use the shared pool but makes its own, as
outside the context. Which worker runs an origin never changes its rows.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

__all__ = ["THREAD_VARIABLES", "shared_workers", "worker_observations", "workers_for"]

#: the thread-count variables pinned to 1 in worker processes
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_WORKER_OBS: pd.DataFrame | None = None


@dataclass
class _Shared:
    key: tuple[str, int]
    pool: ProcessPoolExecutor


_shared: _Shared | None = None
_LOCK = threading.Lock()


def worker_observations() -> pd.DataFrame:
    """The observations this worker process was started with."""
    assert _WORKER_OBS is not None, "not in a backtest worker process"
    return _WORKER_OBS


def _init_worker(observations: pd.DataFrame) -> None:
    """Each worker process keeps one copy of the observations and one BLAS thread (two
    processes on two cores; BLAS threads on top oversubscribe and slow fits several-fold):
    the libraries loaded already are limited now, those loaded later and the programs a
    model starts (Prophet's cmdstan) read the pinned variables."""
    global _WORKER_OBS
    _WORKER_OBS = observations
    if multiprocessing.parent_process() is not None:
        from threadpoolctl import threadpool_limits

        for name in THREAD_VARIABLES:
            os.environ[name] = "1"
        threadpool_limits(1)


def _await_importing_threads() -> None:
    """Wait for threads of this process that import modules (named
    :data:`forecasting.tracking.THREAD_NAME`): a fork while one holds an import lock could
    leave a worker waiting for it for ever."""
    from forecasting.tracking._preload import THREAD_NAME

    for thread in threading.enumerate():
        if thread.name.startswith(THREAD_NAME) and thread.is_alive():
            thread.join()


def _new_pool(observations: pd.DataFrame, jobs: int) -> ProcessPoolExecutor:
    """``jobs`` worker processes forked now (the fork context starts them all at once)."""
    _await_importing_threads()
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        jobs, mp_context=ctx, initializer=_init_worker, initargs=(observations,)
    )
    pool.submit(int).result()  # the workers exist from here on
    return pool


def _key(observations: pd.DataFrame, jobs: int) -> tuple[str, int]:
    from forecasting.backtest import data_fingerprint

    return data_fingerprint(observations), jobs


@contextlib.contextmanager
def workers_for(observations: pd.DataFrame, jobs: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` workers holding ``observations``: the shared one when
    :func:`shared_workers` opened it for the same observations and ``jobs``, else a new one,
    shut down on leaving."""
    shared = _shared
    if shared is not None and shared.key == _key(observations, jobs):
        yield shared.pool
        return
    pool = _new_pool(observations, jobs)
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)


@contextlib.contextmanager
def shared_workers(
    observations: pd.DataFrame, jobs: int, aliases: Sequence[str] = ()
) -> Iterator[None]:
    """Inside, backtests of ``observations`` with ``jobs`` workers share one pool, forked on
    entry and shut down on leaving (``jobs`` <= 1: nothing to share). Nested uses keep the
    outer pool.

    ``aliases``: models this process will also fit itself (the job's forecasts): what their
    first fit loads is loaded before the fork (:func:`models.registry.prepare_models`), once
    for this process and the workers, instead of once in each."""
    global _shared
    with _LOCK:
        if _shared is not None or jobs <= 1:
            owner = False
        else:
            from models.registry import prepare_models

            prepare_models(aliases)
            _shared = _Shared(_key(observations, jobs), _new_pool(observations, jobs))
            owner = True
    try:
        yield
    finally:
        if owner:
            with _LOCK:
                assert _shared is not None
                pool, _shared = _shared.pool, None
            pool.shutdown(cancel_futures=True)
