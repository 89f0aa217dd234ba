"""One MLflow run being written (batched params, metrics and tags; artifacts from a temp
folder; never left RUNNING), and the metric sets runs share.

Every run is created with its writer's tags (:func:`~forecasting.tracking._store.owner_tags`:
the process lease of the process writing it) and the tags the caller knows at once (a
forecast's ``job_id``), so that a run whose process is killed before it finishes can be found
and ended by :mod:`forecasting.tracking.settle`. :data:`OPEN_RUNS` holds the runs this process
is writing now."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.tracking._store import current_owner_tags, param_text

__all__ = [
    "ACCURACY_METRICS",
    "BOARD_METRICS",
    "OPEN_RUNS",
    "Run",
    "board_metrics",
    "headline_model",
]

#: ids of the runs this process is writing now (the others it created are finished or stale)
OPEN_RUNS: set[str] = set()

#: the comparison with the consensus, per model, as MLflow metrics
BOARD_METRICS = ("mae_ratio", "win_rate", "direction_hit", "brier")
#: a backtest's accuracy per model (forecasting.metrics.accuracy_table)
ACCURACY_METRICS = ("n", "failed", "mae", "rmse", "bias", "cov80", "cov95")


class Run:
    """One run being written: batches of params, metrics and tags, then its artifacts."""

    def __init__(
        self,
        client: Any,
        exp: str,
        name: str,
        parent: str | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        first = {**current_owner_tags(), **{k: str(v) for k, v in (tags or {}).items()}}
        if parent:
            first["mlflow.parentRunId"] = parent
        self.client = client
        self.name = name
        self.id = client.create_run(exp, run_name=name, tags=first).info.run_id
        OPEN_RUNS.add(self.id)
        self.tmp = Path(tempfile.mkdtemp(prefix="run-"))

    def log(
        self,
        params: Mapping[str, Any] | None = None,
        metrics: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        self.client.log_batch(
            self.id,
            metrics=[Metric(k, float(v), now, 0) for k, v in (metrics or {}).items() if _finite(v)],
            params=[Param(k, param_text(v)) for k, v in (params or {}).items()],
            tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
        )

    def table(self, name: str, frame: pd.DataFrame, index: bool = False) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=index)
        return path

    def file(self, name: str) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Upload the artifacts and finish the run; a run whose writing failed is marked
        FAILED, never left RUNNING."""
        try:
            if exc_type is None and any(self.tmp.iterdir()):
                self.client.log_artifacts(self.id, str(self.tmp))
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            status = "FINISHED" if exc_type is None else "FAILED"
            try:
                self.client.set_terminated(self.id, status=status)
            except Exception:  # noqa: BLE001 - the original error is the one to report
                if exc_type is None:
                    raise
            finally:
                OPEN_RUNS.discard(self.id)


def _finite(v: Any) -> bool:
    try:
        return pd.notna(v) and abs(float(v)) != float("inf")
    except (TypeError, ValueError):
        return False


def board_metrics(board: pd.DataFrame | None, model: str) -> dict[str, float]:
    """A model's comparison with the consensus (and the consensus's own MAE/RMSE)."""
    if board is None or model not in board.index:
        return {}
    row = board.loc[model]
    out = {k: row[k] for k in BOARD_METRICS}
    out |= {"polled_n": row["n"], "polled_mae": row["mae"], "polled_rmse": row["rmse"]}
    if "consensus" in board.index:
        out |= {
            "consensus_mae": board.loc["consensus", "mae"],
            "consensus_rmse": board.loc["consensus", "rmse"],
        }
    return out


def headline_model(models: tuple[str, ...] | list[str]) -> str:
    """The model a run's own metrics describe: the first combiner of the set, else the
    first model."""
    from models.ensemble import is_combiner

    return next((m for m in models if is_combiner(m)), models[0])
