"""Scale-out of the backtest (not a test): wall time against the number of series and workers.

Backtests N series one after the other, each with :func:`forecasting.backtest.run_backtest`
exactly as ``forecasting backtest`` runs it, on each executor the configuration offers:

- ``processes-1`` / ``processes-2``: ``backtest.jobs = 1`` (in-process) or ``2`` (a pool of
  forked worker processes per backtest);
- ``dask-local``: ``backtest.dask_scheduler = "local"`` (the process's ``LocalCluster`` of
  ``jobs`` workers, started by its first backtest and reused by the next:
  :mod:`forecasting.dask_local`; closed after the executor's series);
- ``dask-1`` / ``dask-2``: ``backtest.dask_scheduler = "tcp://..."``, the address of a Dask
  cluster started once beforehand with 1 or 2 single-threaded worker processes (what a remote
  scheduler looks like; its start-up time is printed apart, not in the table).

The time in column "n series" is the wall time to backtest the first n series in a row. Every
executor's rows must equal the in-process ones (to 1e-9): a benchmark that changes forecasts
is an error.

Series (``--source``):

- ``real``: the targets, then every other series in the store (the bundled Korea series,
  derived USD levels and, with ``--indicators``, the reference indicators) with a first release
  at 90% or more of the range's periods and 60 or more releases before it, each backtested as
  if it were a target (same period rules: no January target from 2020). For timing only:
  their forecasts are not results.
- ``simulated``: series ``simulated_01`` ... of the same shape as exports y/y (its periods and
  release dates; an AR(1) with its mean, spread and lag-1 autocorrelation; seeded). SIMULATED,
  held in memory for the run only, never written to any store.

Usage: python benchmarks/scale_out.py [--quick] [--source real|simulated] [--series 1,2,4]
       [--start 2023-01] [--end 2024-12] [--models naive,ridge_ar,ets,ensemble]
       [--executors processes-1,processes-2,dask-local,dask-1,dask-2]
       [--indicators ../shared/data/reference/indicators]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_INDICATORS = ROOT.parent / "shared" / "data" / "reference" / "indicators"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from forecasting.backtest import run_backtest  # noqa: E402
from forecasting.observations import first_release_dates  # noqa: E402
from models.periods import target_periods  # noqa: E402

SIMULATED_SOURCE = "SIMULATED for the scale-out benchmark; never stored"
TEMPLATE = "exports_yoy"


@dataclass(frozen=True)
class Executor:
    """How the backtest's origins run: ``jobs`` worker processes, or a Dask scheduler
    (``dask``: "local", or "cluster" for a cluster of ``workers`` started beforehand)."""

    key: str
    label: str
    workers: int
    jobs: int = 1
    dask: str = ""


EXECUTORS = {
    e.key: e
    for e in (
        Executor("processes-1", "local processes (backtest.jobs = 1)", 1),
        Executor("processes-2", "local processes (backtest.jobs = 2)", 2, jobs=2),
        Executor("dask-local", 'dask_scheduler = "local" (started once)', 2, dask="local"),
        Executor("dask-1", "dask_scheduler = cluster address", 1, dask="cluster"),
        Executor("dask-2", "dask_scheduler = cluster address", 2, dask="cluster"),
    )
}


def simulated_observations(template: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` SIMULATED series with ``template``'s periods and release dates (its first
    releases) and an AR(1) with its mean, standard deviation and lag-1 autocorrelation.

    Returns:
        observation rows ``series, period, value, released, source`` (series
        ``simulated_01`` ...; ``source`` says they are simulated).
    """
    first = template.sort_values("released").drop_duplicates("period").sort_values("period")
    values = first["value"].to_numpy(dtype=float)
    mean, sd = float(np.mean(values)), float(np.std(values))
    phi = float(np.clip(np.corrcoef(values[:-1], values[1:])[0, 1], -0.95, 0.95))
    parts = []
    for i in range(n):
        rng = np.random.default_rng(seed + i)
        shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), len(first))
        x = np.empty(len(first))
        x[0] = rng.normal(0.0, sd)
        for t in range(1, len(x)):
            x[t] = phi * x[t - 1] + shocks[t]
        parts.append(
            pd.DataFrame(
                {
                    "series": f"simulated_{i + 1:02d}",
                    "period": first["period"].to_numpy(),
                    "value": np.round(mean + x, 1),
                    "released": first["released"].to_numpy(),
                    "source": SIMULATED_SOURCE,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def real_series(
    observations: pd.DataFrame, start: str, end: str, targets: Sequence[str]
) -> list[str]:
    """The targets, then the other series (by name) with a first release at >= 90% of the
    target periods of ``[start, end]`` and >= 60 first releases before ``start``."""
    periods = {str(p) for p in target_periods(start, end)}
    chosen = []
    for name in [*targets, *sorted(set(observations["series"]) - set(targets))]:
        released = set(first_release_dates(observations, name).index)
        before = sum(p < str(pd.Period(start, freq="M")) for p in released)
        if len(released & periods) >= 0.9 * len(periods) and before >= 60:
            chosen.append(name)
    return chosen


def store_observations(indicators: Path | None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """The observations of a fresh service store in a temporary project (the bundled
    snapshot, and the one-series CSVs of ``indicators`` imported with their release rules),
    and the configured targets. Nothing is written outside the temporary folder."""
    tmp = Path(tempfile.mkdtemp(prefix="scale-out-"))
    saved = {k: os.environ.get(k) for k in ("FORECASTING_CONFIG", "FORECASTING_DATABASE_URL")}
    try:
        shutil.copytree(ROOT / "configs", tmp / "configs")
        os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
        os.environ.pop("FORECASTING_DATABASE_URL", None)
        from forecasting.config import load_settings
        from forecasting.series import SERIES
        from forecasting.service import open_service

        svc = open_service(load_settings())
        for path in sorted(indicators.glob("*.csv")) if indicators else []:
            if path.stem in SERIES:
                svc.observations.import_csv(path, today=date.today(), series=path.stem)
        frame = svc.observations.frame()
        targets = svc.settings.targets.names
        svc.engine.dispose()
        return frame, targets
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(tmp, ignore_errors=True)


def _cluster(executor: Executor) -> AbstractContextManager:
    """A LocalCluster of ``executor.workers`` single-threaded worker processes for a
    "cluster" executor (nothing for the others)."""
    if executor.dask != "cluster":
        return nullcontext(None)
    from dask.distributed import LocalCluster

    return LocalCluster(
        n_workers=executor.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )


def time_executor(
    observations: pd.DataFrame,
    series: Sequence[str],
    counts: Sequence[int],
    executor: Executor,
    backtest: Callable[[str, int, str], pd.DataFrame],
) -> tuple[dict[int, float], dict[str, pd.DataFrame], float]:
    """Backtest ``series`` in a row on ``executor``; the elapsed wall time when each count of
    ``counts`` is reached, the frames by series and the cluster's start-up seconds."""
    t0 = time.perf_counter()
    with _cluster(executor) as cluster:
        startup = time.perf_counter() - t0 if cluster is not None else 0.0
        scheduler = cluster.scheduler_address if cluster is not None else executor.dask
        times: dict[int, float] = {}
        frames: dict[str, pd.DataFrame] = {}
        t1 = time.perf_counter()
        try:
            for i, name in enumerate(series[: max(counts)], 1):
                frames[name] = backtest(name, executor.jobs, scheduler)
                if i in counts:
                    times[i] = time.perf_counter() - t1
        finally:
            if executor.dask == "local":  # its workers must not idle beside the next executor's
                from forecasting.dask_local import close_local_clusters

                close_local_clusters()
    return times, frames, startup


def scale_out(
    observations: pd.DataFrame,
    series: Sequence[str],
    start: str,
    end: str,
    models: Sequence[str],
    *,
    counts: Sequence[int],
    executors: Sequence[str],
    echo: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Time every executor of ``executors`` on the first ``counts`` series of ``series``.

    Raises:
        AssertionError: an executor's rows differ from the first executor's.

    Returns:
        one row per executor: ``executor, workers``, the seconds for each count (columns
        ``"<n> series"``) and ``startup_s`` (a cluster started beforehand, else 0).
    """
    counts = sorted({c for c in counts if c <= len(series)})

    def backtest(name: str, jobs: int, scheduler: str) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return run_backtest(
                observations, name, start, end, models, jobs=jobs, dask_scheduler=scheduler
            )

    rows, reference = [], None
    for key in executors:
        executor = EXECUTORS[key]
        times, frames, startup = time_executor(observations, series, counts, executor, backtest)
        if reference is None:
            reference = frames
        for name, frame in frames.items():
            pd.testing.assert_frame_equal(frame, reference[name], rtol=0, atol=1e-9)
        row = {"executor": executor.label, "workers": executor.workers}
        row.update({f"{n} series": times[n] for n in counts})
        rows.append({**row, "startup_s": startup})
        echo(f"  {key}: " + ", ".join(f"{n} series {times[n]:.1f} s" for n in counts))
    return pd.DataFrame(rows)


def origins_per_series(observations: pd.DataFrame, name: str, start: str, end: str) -> int:
    """Origins one series' backtest fits (without the ensembles' warm-up)."""
    released = set(first_release_dates(observations, name).index)
    return sum(str(p) in released for p in target_periods(start, end))


def run(args: argparse.Namespace, echo: Callable[[str], None] = print) -> pd.DataFrame:
    """The benchmark for parsed ``args``; prints and returns the table."""
    counts = [int(c) for c in args.series.split(",")]
    models = args.models.split(",")
    executors = args.executors.split(",")
    unknown = [e for e in executors if e not in EXECUTORS]
    if unknown:
        raise SystemExit(f"unknown executor(s) {unknown}; known: {list(EXECUTORS)}")
    indicators = Path(args.indicators) if args.indicators else None
    if args.source == "simulated":
        template, _ = store_observations(None)
        obs = simulated_observations(template[template["series"] == TEMPLATE], max(counts))
        series = sorted(set(obs["series"]))
        echo(f"series: {len(series)} SIMULATED (shape of {TEMPLATE}; never stored)")
    else:
        obs, targets = store_observations(indicators)
        series = real_series(obs, args.start, args.end, targets)
        echo(f"series (real, backtested as targets for timing only): {', '.join(series)}")
    n_origins = origins_per_series(obs, series[0], args.start, args.end)
    load0 = os.getloadavg()[0]
    echo(
        f"{args.start}..{args.end}: {n_origins} origins per series (+ the ensembles' warm-up), "
        f"models {','.join(models)}; {os.cpu_count()} cores, load average {load0:.1f}"
    )
    table = scale_out(
        obs, series, args.start, args.end, models, counts=counts, executors=executors, echo=echo
    )
    echo("")
    echo(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    echo(
        f"wall seconds to backtest the first n series in a row; load average "
        f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after (other work on the machine "
        "slows every column)"
    )
    return table


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="seconds: 1 simulated series, 2 origins")
    p.add_argument("--source", choices=("real", "simulated"), default="real")
    p.add_argument("--series", default="1,2,4,8", help="counts of series")
    p.add_argument("--start", default="2023-01")
    p.add_argument("--end", default="2024-12")
    p.add_argument("--models", default="naive,ridge_ar,ets,ensemble")
    p.add_argument("--executors", default=",".join(EXECUTORS))
    p.add_argument(
        "--indicators",
        default=str(REFERENCE_INDICATORS) if REFERENCE_INDICATORS.is_dir() else "",
        help="folder of one-series indicator CSVs to import (default: the reference ones "
        "when ../shared/data/reference exists)",
    )
    return p


QUICK = ["--source", "simulated", "--series", "1", "--start", "2024-05", "--end", "2024-06"]
QUICK += ["--models", "naive,ridge_ar", "--indicators", ""]
#: every code path once (a cluster by address: the two-worker one)
QUICK += ["--executors", "processes-1,processes-2,dask-local,dask-2"]


def quick(extra: Sequence[str] = (), echo: Callable[[str], None] = print) -> pd.DataFrame:
    """The quick mode (about 20 s, most of it starting Dask clusters): 1 simulated series,
    2 origins, 2 models, every kind of executor."""
    return run(parser().parse_args([*QUICK, *extra]), echo)


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.quick:
        quick([a for a in (argv or sys.argv[1:]) if a != "--quick"])
    else:
        run(args)


if __name__ == "__main__":
    main()
