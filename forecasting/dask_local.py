"""The local Dask cluster of ``backtest.dask_scheduler = "local"``: started once a process.

Starting a ``LocalCluster`` (worker processes that import the project) takes seconds; a
process that backtests several times (``benchmarks/scale_out.py``, a backtest of each target)
starts it at its first backtest and reuses it, with a client on it, until it exits (closed by
:mod:`atexit`) or :func:`close_local_clusters` is called. One cluster per worker count: its
workers are single-threaded processes, as the local process pool's are.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

__all__ = ["close_local_clusters", "local_client", "local_clusters"]

#: {worker count: (cluster, client)} of the clusters this process started
_CLUSTERS: dict[int, tuple[Any, Any]] = {}
_LOCK = threading.Lock()


def local_client(n_workers: int) -> Any:
    """A ``dask.distributed.Client`` on this process's local cluster of ``n_workers`` (at
    least 1) single-threaded worker processes, started at the first call for that count and
    reused by the next ones (started again if it was closed)."""
    from dask.distributed import Client, LocalCluster

    n = max(1, int(n_workers))
    with _LOCK:
        held = _CLUSTERS.get(n)
        if held is not None and held[1].status == "running":
            return held[1]
        if held is not None:
            _close(*held)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True)
        client = Client(cluster)
        _CLUSTERS[n] = (cluster, client)
        return client


def local_clusters() -> dict[int, Any]:
    """The local clusters this process holds now: {worker count: ``LocalCluster``}."""
    with _LOCK:
        return {n: cluster for n, (cluster, _) in _CLUSTERS.items()}


def close_local_clusters() -> None:
    """Close every local cluster this process started (and its client)."""
    with _LOCK:
        held = list(_CLUSTERS.values())
        _CLUSTERS.clear()
    for cluster, client in held:
        _close(cluster, client)


def _close(cluster: Any, client: Any) -> None:
    try:
        client.close()
    finally:
        cluster.close()


atexit.register(close_local_clusters)
