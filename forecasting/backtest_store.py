"""Backtest rows kept in the service database, keyed by the data fingerprint.

A stored row is a pseudo-real-time forecast of the same data: later commands (``compare``,
ensemble weights in ``forecast``) reuse it instead of refitting.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.backtest import BACKTEST_COLUMNS
from forecasting.db import backtest_table
from models.base import FORECAST_COLUMNS

__all__ = ["BacktestStore"]

_COLUMNS = [*BACKTEST_COLUMNS, "error"]


class BacktestStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, fingerprint: str, frame: pd.DataFrame) -> int:
        """Keep ``frame``'s rows for ``fingerprint``, replacing rows of the same
        (target, period, model) for that fingerprint, in one transaction."""
        if frame.empty:
            return 0
        records = [
            {k: (None if pd.isna(v) else v) for k, v in rec.items()} | {"fingerprint": fingerprint}
            for rec in frame.loc[:, _COLUMNS].to_dict("records")
        ]
        t = backtest_table
        with self.engine.begin() as conn:
            for target, g in frame.groupby("target"):
                conn.execute(
                    t.delete()
                    .where(t.c.fingerprint == fingerprint)
                    .where(t.c.target == target)
                    .where(t.c.period.in_(list(g["period"].unique())))
                    .where(t.c.model.in_(list(g["model"].unique())))
                )
            conn.execute(t.insert(), records)
        return len(records)

    def load(self, fingerprint: str, target: str) -> pd.DataFrame:
        t = backtest_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*(t.c[c] for c in _COLUMNS))
                .where(t.c.fingerprint == fingerprint)
                .where(t.c.target == target)
                .order_by(t.c.period, t.c.id)
            ).all()
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        for c in (*FORECAST_COLUMNS[1:], "actual"):
            frame[c] = frame[c].astype(float)
        return frame
