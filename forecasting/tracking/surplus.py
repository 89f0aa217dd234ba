"""The year's surplus to MLflow: the projection as metrics, its tables and the cumulative chart,
in the balance's experiment."""

from __future__ import annotations

from typing import Any

import pandas as pd

from forecasting.config import Settings
from forecasting.tracking._run import Run
from forecasting.tracking._store import connected, experiment_id, run_name

__all__ = ["log_surplus"]

BALANCE = "balance_usd_bn"


def log_surplus(
    settings: Settings,
    projection: Any,
    balances: pd.DataFrame,
    *,
    parent_run_id: str | None = None,
) -> str:
    """A run for a :class:`~forecasting.surplus.SurplusProjection` (``balances``: the
    first-release balances ``period, value, released`` behind it, for the chart of the
    previous years). Returns the run id."""
    from forecasting.surplus_chart import surplus_chart

    p = projection
    values = dict(zip(balances["period"].astype(str), balances["value"], strict=True))
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, BALANCE)
        name = run_name("surplus", BALANCE, str(p.year), p.as_of)
        with Run(client, exp, name, parent_run_id) as run:
            run.log(
                params={"year": p.year, "as_of": p.as_of.isoformat(), "method": p.method},
                metrics={
                    "released_sum": p.released_sum,
                    "released_months": len(p.released),
                    "total": p.total,
                    "total_lo_80": p.total_lo_80,
                    "total_hi_80": p.total_hi_80,
                    "total_lo_95": p.total_lo_95,
                    "total_hi_95": p.total_hi_95,
                    "previous_total": p.previous_total,
                    "record": p.record,
                    "p_record": p.p_record,
                    "exports_growth": p.exports_growth,
                    "imports_growth": p.imports_growth,
                    "exports_growth_ytd": p.exports_growth_ytd,
                    "imports_growth_ytd": p.imports_growth_ytd,
                },
                tags={"kind": "surplus", "target": BALANCE, "year": str(p.year)},
            )
            run.table(f"released_{p.year}.csv", p.released)
            run.table(f"remaining_{p.year}.csv", p.remaining)
            surplus_chart(p, values, run.file(f"surplus_{p.year}.png"))
        return run.id
