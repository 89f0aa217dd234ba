"""Load the bundled snapshot into the store on first use (and its new rows after an upgrade)."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.db import meta_table

__all__ = ["SNAPSHOT_CONSENSUS", "SNAPSHOT_OBSERVATIONS", "snapshot_fingerprint", "snapshot_path"]

SNAPSHOT_OBSERVATIONS = "china_trade_observations.csv"
SNAPSHOT_CONSENSUS = "consensus.csv"
_META_KEY = "snapshot_fingerprint"


def snapshot_path(name: str) -> Path:
    return Path(str(resources.files("forecasting.snapshot").joinpath(name)))


def snapshot_fingerprint() -> str:
    h = hashlib.sha256()
    for name in (SNAPSHOT_OBSERVATIONS, SNAPSHOT_CONSENSUS):
        h.update(snapshot_path(name).read_bytes())
    return h.hexdigest()[:16]


def loaded_fingerprint(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == _META_KEY)
        ).scalar_one_or_none()


def mark_loaded(engine: Engine, fingerprint: str) -> None:
    with engine.begin() as conn:
        conn.execute(meta_table.delete().where(meta_table.c.key == _META_KEY))
        conn.execute(meta_table.insert().values(key=_META_KEY, value=fingerprint))
