"""Member rows of backtest origins, kept under what they were computed from, so that a
backtest refits only the origins whose inputs changed.

A fitted model's rows at an origin are a pure function of: the target, the period, ``as_of``,
the fitted models run together (:func:`forecasting.origin.member_forecasts` builds one
indicator frame for them), the figures released before ``as_of`` (the information set: all
vintages of every series, each with its release date) and the code (this project's
``forecasting`` and ``models`` sources and the versions of the libraries that fit).
:func:`origin_keys` hashes exactly those; :class:`OriginRows` (table ``origin_rows`` of the
service store) keeps the rows under their key.

So a new release, published after every existing origin's ``as_of``, leaves their keys as
they were: the monthly job refits one new origin per target instead of the whole window. A
revised or back-filled figure changes the key of the origins after its release date only,
and any change of code or library version every key. A reused row equals a refitted one
(tested); nothing from after ``as_of`` can enter a key, so no-look-ahead holds as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.db import write_transaction
from forecasting.origin import Origin
from forecasting.tables import origin_rows_table
from models.base import FORECAST_COLUMNS

__all__ = ["OriginRows", "code_version", "origin_keys"]

#: the libraries whose version can change a fitted model's numbers
LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "prophet",
    "cmdstanpy",
    "numba",
    "holidays",
    "chinesecalendar",
)
#: an origin part's columns, in the order :func:`forecasting.backtest._origin_task` gives
PART_COLUMNS = (*FORECAST_COLUMNS, "model", "error", "uses_indicators", "target", "as_of")
_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every ``.py`` file of ``forecasting/`` and ``models/`` and the versions of
    :data:`LIBRARIES`: any change to the code or a library gives other keys."""
    digest = hashlib.sha256()
    for package in ("forecasting", "models"):
        for path in sorted((_ROOT / package).rglob("*.py")):
            digest.update(str(path.relative_to(_ROOT)).encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()


def origin_keys(
    observations: pd.DataFrame, origins: Sequence[Origin], fitted: Sequence[str]
) -> list[str]:
    """Each origin's key: the code, the origin, the fitted models and the stored rows
    (series, period, value, release date) released strictly before its ``as_of``."""
    rows = observations.loc[:, ["series", "period", "value", "released"]]
    released = pd.to_datetime(rows["released"]).to_numpy()
    order = np.argsort(released, kind="stable")
    hashes = pd.util.hash_pandas_object(rows, index=False).to_numpy()[order]
    running = np.cumsum(hashes, dtype=np.uint64)  # wraps modulo 2**64: an order-free sum
    ordered = released[order]
    models = ",".join(fitted)
    keys = []
    for o in origins:
        n = int(np.searchsorted(ordered, np.datetime64(o.as_of, "ns"), side="left"))
        total = int(running[n - 1]) if n else 0
        text = f"{code_version()}|{o.target}|{o.period}|{o.as_of}|{models}|{n}|{total}"
        keys.append(hashlib.sha256(text.encode()).hexdigest())
    return keys


class OriginRows:
    """The ``origin_rows`` table: an origin's member rows under its key."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
        """The parts stored for ``keys`` (key -> the part :func:`_origin_task` gave)."""
        t = origin_rows_table
        found: list[sa.Row] = []
        with self.engine.connect() as conn:
            for chunk in _batches(sorted(set(keys))):
                found += conn.execute(
                    sa.select(t).where(t.c.key.in_(chunk)).order_by(t.c.key, t.c.position)
                ).all()
        by_key: dict[str, list[sa.Row]] = {}
        for row in found:
            by_key.setdefault(row.key, []).append(row)
        return {key: _part(rows) for key, rows in by_key.items()}

    def put(self, parts: Mapping[str, pd.DataFrame]) -> int:
        """Keep ``parts`` (key -> part) in one transaction; a key already stored keeps its
        rows (equal keys, equal rows). Returns the number of rows written."""
        if not parts:
            return 0
        t = origin_rows_table
        with write_transaction(self.engine) as conn:
            have: set[str] = set()
            keys = sorted(parts)
            for chunk in _batches(keys):
                have |= set(conn.execute(sa.select(t.c.key).where(t.c.key.in_(chunk))).scalars())
            records = [
                _record(key, position, row)
                for key in keys
                if key not in have
                for position, row in enumerate(parts[key].to_dict("records"))
            ]
            if records:
                conn.execute(t.insert(), records)
        return len(records)


def _batches(keys: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``keys`` in slices of ``size``: bounded ``IN`` lists."""
    for i in range(0, len(keys), size):
        yield keys[i : i + size]


def _record(key: str, position: int, row: Mapping[str, object]) -> dict[str, object]:
    def value(name: str) -> object:
        v = row.get(name)
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    out = {"key": key, "position": position}
    out |= {c: value(c) for c in PART_COLUMNS}
    uses = out["uses_indicators"]
    out["uses_indicators"] = None if uses is None else bool(uses)
    return out


def _part(rows: list[sa.Row]) -> pd.DataFrame:
    """The part as :func:`forecasting.backtest._origin_task` gave it: float columns, ``error``
    None where the model ran, ``uses_indicators`` bool (object with NaN where a model failed)."""
    frame = pd.DataFrame([r._mapping for r in rows]).loc[:, list(PART_COLUMNS)]
    for c in FORECAST_COLUMNS[1:]:
        frame[c] = frame[c].astype(float)
    uses = frame["uses_indicators"]
    if uses.isna().any():
        frame["uses_indicators"] = [np.nan if u is None else bool(u) for u in uses]
    else:
        frame["uses_indicators"] = uses.astype(bool)
    frame["error"] = [None if e is None else str(e) for e in frame["error"]]
    return frame
