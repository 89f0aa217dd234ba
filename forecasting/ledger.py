"""The forecast ledger: every forecast the service made, appended and never edited.

The track record is what was said before the release: each row keeps its ``as_of``, the
consensus known then and the MLflow run it was logged to. Rows are only ever inserted;
``mlflow_run_id`` is the one field filled later, and only while it is still empty (when MLflow
was unreachable at forecast time and the logging is caught up).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.db import write_transaction
from forecasting.errors import StoreError
from forecasting.tables import ledger_table

__all__ = ["LEDGER_COLUMNS", "ForecastLedger", "UnitState"]

#: a unit's state in the ledger: no rows, rows without an MLflow run, rows with their run
UnitState = tuple[int, str | None]

#: the ledger table's columns, in table order
LEDGER_COLUMNS: tuple[str, ...] = tuple(ledger_table.columns.keys())
_WRITABLE = [c for c in LEDGER_COLUMNS if c not in ("id", "created_at", "mlflow_run_id")]


class ForecastLedger:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(
        self, rows: pd.DataFrame, *, job_id: str, origin: str, mlflow_run_id: str | None = None
    ) -> int:
        """Append forecast rows (``target, period, as_of, model, yhat, intervals, p_beat,
        consensus``, optional ``error``) in one transaction."""
        if rows.empty:
            return 0
        with self.engine.begin() as conn:
            conn.execute(ledger_table.insert(), self._records(rows, job_id, origin, mlflow_run_id))
        return len(rows)

    def record_unit(self, rows: pd.DataFrame, *, job_id: str, origin: str) -> int:
        """Append one unit's rows (a job run's forecast of one target) exactly once: in one
        write transaction that first checks that no row carries ``job_id``.

        Raises:
            StoreError: the unit is already recorded (a bug: units are recorded by the one
                process that owns their job run).
        """
        if rows.empty:
            return 0
        with write_transaction(self.engine) as conn:
            present = conn.execute(
                sa.select(sa.func.count()).where(ledger_table.c.job_id == job_id)
            ).scalar()
            if present:
                raise StoreError(f"ledger: {job_id} is already recorded ({present} rows)")
            conn.execute(ledger_table.insert(), self._records(rows, job_id, origin, None))
        return len(rows)

    def unit_states(self, job_ids: list[str]) -> dict[str, UnitState]:
        """{job id: (rows, MLflow run id or None)} for the given units (absent: no rows)."""
        c = ledger_table.c
        q = (
            sa.select(c.job_id, sa.func.count(), sa.func.max(c.mlflow_run_id))
            .where(c.job_id.in_(job_ids))
            .group_by(c.job_id)
        )
        with self.engine.connect() as conn:
            return {j: (n, run) for j, n, run in conn.execute(q)}

    def _records(
        self, rows: pd.DataFrame, job_id: str, origin: str, mlflow_run_id: str | None
    ) -> list[dict]:
        now = datetime.now()
        records = []
        for rec in rows.to_dict("records"):
            out = {c: _none_if_nan(rec.get(c)) for c in _WRITABLE}
            out.update(job_id=job_id, origin=origin, mlflow_run_id=mlflow_run_id, created_at=now)
            if isinstance(out["as_of"], str):
                out["as_of"] = date.fromisoformat(out["as_of"])
            records.append(out)
        return records

    def frame(self, target: str | None = None, period: str | None = None) -> pd.DataFrame:
        q = sa.select(*(ledger_table.c[c] for c in LEDGER_COLUMNS)).order_by(ledger_table.c.id)
        if target is not None:
            q = q.where(ledger_table.c.target == target)
        if period is not None:
            q = q.where(ledger_table.c.period == period)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        frame = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
        floats = [c.name for c in ledger_table.columns if isinstance(c.type, sa.Float)]
        return frame.astype({c: float for c in floats})

    def jobs(self, job_id_prefix: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(ledger_table.c.job_id)
                    .where(ledger_table.c.job_id.like(f"{job_id_prefix}%"))
                    .distinct()
                ).scalars()
            )

    def attach_run(self, job_id: str, run_id: str) -> int:
        """Record the MLflow run of a unit (``job_id`` is unique per unit: a job run's id and
        its target); only its rows without a run are touched."""
        with write_transaction(self.engine) as conn:
            res = conn.execute(
                ledger_table.update()
                .where(ledger_table.c.job_id == job_id)
                .where(ledger_table.c.mlflow_run_id.is_(None))
                .values(mlflow_run_id=run_id)
            )
        return res.rowcount


def _none_if_nan(v: object) -> object:
    if v is None:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v
