"""Load the bundled snapshot into the store on first use (and its new rows after an upgrade)."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from sqlalchemy.engine import Engine

from forecasting.db import read_meta, write_meta

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
    return read_meta(engine, _META_KEY)


def mark_loaded(engine: Engine, fingerprint: str) -> None:
    write_meta(engine, _META_KEY, fingerprint)
