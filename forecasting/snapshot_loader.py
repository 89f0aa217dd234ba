"""Load the bundled snapshot into the store on first use, and a newer snapshot's rows after an
upgrade.

The snapshot (``forecasting/snapshot/``) is four files: the observations, the consensus polls,
``corrections.csv`` (every value or source text a snapshot changed against an earlier one, with
the old value and source) and ``version.txt`` (``LAST_PERIOD.BUILD``, e.g. ``2026-08.1``).

Loading is one transaction under the store's write lock, done once per snapshot content (its
fingerprint is kept in ``service_meta``), so many processes starting together on a fresh store
load it exactly once. Row by row, against the stored row of the same ``(series, period,
released)``:

- none stored: the snapshot row is added;
- the same value stored: left as it is (whatever its source), counted unchanged;
- a stored row that an earlier snapshot wrote (its value and source are one of the old states
  ``corrections.csv`` lists for that key) and that this snapshot changes: replaced by the
  snapshot's value and source (``corrected``, or ``source_updated`` when only the source text
  changed); the old value and source go to the ``observation_corrections`` audit;
- any other stored row with another value (a row a user added, or one a user changed): kept
  as it is, never overwritten; the collision is recorded in the audit (``kept_stored``) and
  returned as a warning.

A consensus poll of the snapshot is added when its key is not stored and never replaces one.
A store upgraded from an earlier snapshot thus ends with exactly the rows a fresh store gets,
except where a user's own rows differ.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from forecasting.consensus import CONSENSUS_COLUMNS, write_polls
from forecasting.db import read_meta, write_meta, write_transaction
from forecasting.observations import insert_rows, stored_rows
from forecasting.tables import corrections_table, observations_table
from forecasting.validation import (
    OBSERVATION_COLUMNS,
    Problem,
    parse_date,
    parse_number,
    raise_problems,
    read_csv_rows,
    validate_observations,
)

__all__ = [
    "SNAPSHOT_CONSENSUS",
    "SNAPSHOT_CORRECTIONS",
    "SNAPSHOT_OBSERVATIONS",
    "SNAPSHOT_VERSION",
    "SnapshotChange",
    "SnapshotLoad",
    "load_snapshot",
    "loaded_snapshot_version",
    "snapshot_fingerprint",
    "snapshot_frame",
    "snapshot_path",
    "snapshot_version",
]

SNAPSHOT_OBSERVATIONS = "china_trade_observations.csv"
SNAPSHOT_CONSENSUS = "consensus.csv"
SNAPSHOT_CORRECTIONS = "corrections.csv"
SNAPSHOT_VERSION = "version.txt"
_FILES = (SNAPSHOT_OBSERVATIONS, SNAPSHOT_CONSENSUS, SNAPSHOT_CORRECTIONS, SNAPSHOT_VERSION)
_META_KEY = "snapshot_fingerprint"
_VERSION_KEY = "snapshot_version"
_CORRECTION_COLUMNS = ("series", "period", "released", "old_value", "old_source")
Key = tuple[str, str, date]


def snapshot_path(name: str) -> Path:
    return Path(str(resources.files("forecasting.snapshot").joinpath(name)))


def snapshot_version() -> str:
    """The bundled snapshot's version, ``LAST_PERIOD.BUILD`` (e.g. ``2026-08.1``: China's
    customs releases up to period 2026-08, first build of that content)."""
    return snapshot_path(SNAPSHOT_VERSION).read_text(encoding="utf-8").strip()


def snapshot_fingerprint() -> str:
    h = hashlib.sha256()
    for name in _FILES:
        h.update(snapshot_path(name).read_bytes())
    return h.hexdigest()[:16]


def loaded_fingerprint(engine: Engine) -> str | None:
    return read_meta(engine, _META_KEY)


def loaded_snapshot_version(engine: Engine) -> str | None:
    """The version of the snapshot the store was last loaded from (None: never, or from an
    unversioned snapshot, before 2026-08.1)."""
    return read_meta(engine, _VERSION_KEY)


@dataclass(frozen=True)
class SnapshotChange:
    """One stored row the load changed (``corrected``, ``source_updated``) or, differing from
    the snapshot, kept as it is (``kept_stored``)."""

    series: str
    period: str
    released: date
    action: str
    old_value: float
    old_source: str
    new_value: float
    new_source: str

    def describe(self) -> str:
        """One plain-text line for a person."""
        key = f"{self.series} {self.period} released {self.released.isoformat()}"
        if self.action == "corrected":
            return f"{key}: corrected from {self.old_value:g} to {self.new_value:g}"
        if self.action == "source_updated":
            return f"{key}: source text updated (value {self.new_value:g} unchanged)"
        return (
            f"{key}: the stored {self.old_value:g} (source {self.old_source!r}) is kept; the "
            f"bundled snapshot has {self.new_value:g}"
        )


@dataclass(frozen=True)
class SnapshotLoad:
    """What loading a snapshot into the store did."""

    version: str
    previous_version: str | None
    added: int
    unchanged: int
    changes: tuple[SnapshotChange, ...]
    consensus_added: int
    consensus_kept: tuple[str, ...]

    def of(self, action: str) -> list[SnapshotChange]:
        return [c for c in self.changes if c.action == action]

    @property
    def warnings(self) -> list[str]:
        """A line per stored row or poll kept against the snapshot (a user's own figure)."""
        return [f"snapshot {self.version}: {c.describe()}" for c in self.of("kept_stored")] + [
            f"snapshot {self.version}: {m}" for m in self.consensus_kept
        ]

    def summary(self) -> str:
        """One line: e.g. ``loaded snapshot 2026-08.1: 17 new figures, 2 corrected, ...``."""
        parts = [f"{self.added} new figure(s)"]
        corrected = self.of("corrected")
        if corrected:
            listed = "; ".join(c.describe() for c in corrected)
            parts.append(f"{len(corrected)} corrected ({listed})")
        if self.of("source_updated"):
            parts.append(f"{len(self.of('source_updated'))} source text(s) updated")
        if self.of("kept_stored"):
            parts.append(f"{len(self.of('kept_stored'))} stored figure(s) kept against it")
        if self.consensus_added:
            parts.append(f"{self.consensus_added} consensus poll(s)")
        since = f" (store was at {self.previous_version})" if self.previous_version else ""
        return f"loaded snapshot {self.version}{since}: " + ", ".join(parts)


def load_snapshot(engine: Engine) -> SnapshotLoad | None:
    """Bring the store up to the bundled snapshot; None when it already is (the common case:
    one read). Safe when many processes call it at once: the first loads, in one transaction
    under the write lock, the others then find it loaded.

    Raises:
        DataError: the bundled snapshot itself is invalid (a packaging error).
        StoreError: the store cannot be read or written.
    """
    fingerprint = snapshot_fingerprint()
    if loaded_fingerprint(engine) == fingerprint:
        return None
    with write_transaction(engine) as conn:
        if read_meta(conn, _META_KEY) == fingerprint:
            return None  # another process loaded it while this one waited for the lock
        previous = read_meta(conn, _VERSION_KEY)
        version = snapshot_version()
        result = _load(conn, version, previous)
        write_meta(conn, _META_KEY, fingerprint)
        write_meta(conn, _VERSION_KEY, version)
    return result


def _load(conn: Connection, version: str, previous: str | None) -> SnapshotLoad:
    where = f"bundled snapshot {version} ({SNAPSHOT_OBSERVATIONS})"
    rows = read_csv_rows(snapshot_path(SNAPSHOT_OBSERVATIONS), OBSERVATION_COLUMNS)
    frame, problems = validate_observations(rows, today=date.max)
    raise_problems(problems, where)
    known = _earlier_states()
    stored = stored_rows(conn, set(frame["series"]))
    have = {
        (s, p, r): (i, v, src)
        for s, p, r, v, src, i in zip(
            stored["series"],
            stored["period"],
            stored["released"],
            stored["value"],
            stored["source"],
            stored["id"],
            strict=True,
        )
    }
    new_rows: list[bool] = []
    changes: list[SnapshotChange] = []
    updates: list[tuple[int, SnapshotChange]] = []
    unchanged = 0
    for r in frame.itertuples():
        key = (r.series, r.period, r.released)
        old = have.get(key)
        new_rows.append(old is None)
        if old is None:
            continue
        row_id, value, source = old
        if (value, source) == (r.value, r.source):
            unchanged += 1
            continue
        earlier_snapshot_row = (value, source) in known.get(key, set())
        if value == r.value and not earlier_snapshot_row:
            unchanged += 1  # the same figure under another source text (e.g. a user's)
            continue
        if earlier_snapshot_row:
            action = "corrected" if value != r.value else "source_updated"
        else:
            action = "kept_stored"
        change = SnapshotChange(
            r.series, r.period, r.released, action, value, source, r.value, r.source
        )
        changes.append(change)
        if action != "kept_stored":
            updates.append((row_id, change))
    added = insert_rows(conn, frame.loc[pd.Series(new_rows, index=frame.index, dtype=bool)])
    now = datetime.now()
    for row_id, change in updates:
        conn.execute(
            observations_table.update()
            .where(observations_table.c.id == row_id)
            .values(value=change.new_value, source=change.new_source, loaded_at=now)
        )
    if changes:
        conn.execute(
            corrections_table.insert(),
            [
                {
                    "series": c.series,
                    "period": c.period,
                    "released": c.released,
                    "action": c.action,
                    "old_value": c.old_value,
                    "old_source": c.old_source,
                    "new_value": c.new_value,
                    "new_source": c.new_source,
                    "snapshot": version,
                    "recorded_at": now,
                }
                for c in changes
            ],
        )
    polls = read_csv_rows(snapshot_path(SNAPSHOT_CONSENSUS), CONSENSUS_COLUMNS)
    consensus_added, _, kept = write_polls(
        conn, polls, where=f"bundled snapshot {version} ({SNAPSHOT_CONSENSUS})"
    )
    return SnapshotLoad(
        version=version,
        previous_version=previous,
        added=added,
        unchanged=unchanged,
        changes=tuple(changes),
        consensus_added=consensus_added,
        consensus_kept=tuple(kept),
    )


def _earlier_states() -> dict[Key, set[tuple[float, str]]]:
    """Per key, every ``(value, source)`` an earlier snapshot shipped and a later one changed
    (from ``corrections.csv``): a stored row in one of these states was written by the
    snapshot loader, not by a user."""
    out: dict[Key, set[tuple[float, str]]] = {}
    for line, r in read_csv_rows(snapshot_path(SNAPSHOT_CORRECTIONS), _CORRECTION_COLUMNS):
        released, value = parse_date(r["released"]), parse_number(r["old_value"])
        if released is None or value is None:
            bad = Problem(line, None, f"{r['released']} {r['old_value']}", "malformed row")
            raise_problems([bad], f"bundled snapshot ({SNAPSHOT_CORRECTIONS})")
        key = (r["series"], r["period"], released)
        out.setdefault(key, set()).add((value, r["old_source"]))
    return out


def snapshot_frame() -> pd.DataFrame:
    """The bundled snapshot's observations as a frame (``released`` as date).

    Returns:
        DataFrame with columns ``series, period, value, released, source``.
    """
    rows = read_csv_rows(snapshot_path(SNAPSHOT_OBSERVATIONS), OBSERVATION_COLUMNS)
    frame, problems = validate_observations(rows, today=date.max)
    raise_problems(problems, "bundled snapshot")
    return frame.loc[:, list(OBSERVATION_COLUMNS)]
