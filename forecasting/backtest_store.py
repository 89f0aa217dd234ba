"""Backtest rows kept in the service database, keyed by the data fingerprint.

A stored row is a pseudo-real-time forecast of the same data: later commands (``compare``,
ensemble weights in ``forecast``) reuse it instead of refitting.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.backtest import BACKTEST_COLUMNS
from forecasting.db import write_transaction
from forecasting.tables import backtest_table
from models.base import FORECAST_COLUMNS

__all__ = ["BacktestStore"]

_COLUMNS = [*BACKTEST_COLUMNS, "error", "calibrated", "p_beat"]


class BacktestStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, fingerprint: str, frame: pd.DataFrame, *, replace: bool = True) -> int:
        """Keep ``frame``'s rows for ``fingerprint`` in one transaction: replacing rows of the
        same (target, period, model), or, with ``replace=False``, only where there is none."""
        if frame.empty:
            return 0
        frame = frame.reindex(columns=_COLUMNS)
        t = backtest_table
        with write_transaction(self.engine) as conn:
            for target, g in frame.groupby("target"):
                mine = (
                    t.c.fingerprint == fingerprint,
                    t.c.target == target,
                    t.c.period.in_(list(g["period"].unique())),
                    t.c.model.in_(list(g["model"].unique())),
                )
                if replace:
                    conn.execute(t.delete().where(*mine))
                    continue
                have = set(conn.execute(sa.select(t.c.period, t.c.model).where(*mine)).all())
                keys = zip(frame["target"], frame["period"], frame["model"], strict=True)
                keep = [not (tg == target and (p, m) in have) for tg, p, m in keys]
                frame = frame[keep]
            records = [
                {k: (None if pd.isna(v) else v) for k, v in rec.items()}
                | {"fingerprint": fingerprint}
                for rec in frame.to_dict("records")
            ]
            if records:
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
        for c in (*FORECAST_COLUMNS[1:], "actual", "p_beat"):
            frame[c] = frame[c].astype(float)
        return frame

    def latest(self, target: str) -> pd.DataFrame:
        """``target``'s rows of every data fingerprint, the last stored per ``(period, model,
        as_of)``: a pseudo-real-time forecast only uses the figures released before its
        ``as_of``, so a row stored on earlier data stands for its origin until a row of the
        current data replaces it (read by the API's track record and champion)."""
        t = backtest_table
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*(t.c[c] for c in _COLUMNS))
                .where(t.c.target == target)
                .order_by(t.c.period, t.c.id)
            ).all()
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        frame = frame.drop_duplicates(["period", "model", "as_of"], keep="last")
        for c in (*FORECAST_COLUMNS[1:], "actual", "p_beat"):
            frame[c] = frame[c].astype(float)
        return frame.reset_index(drop=True)
