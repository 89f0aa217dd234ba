"""The consensus store: poll medians per target and period, imported, added or listed.

Columns: ``target, period, consensus, source (reuters|bloomberg|wsj|other), n_economists,
polled_on, note``. Two import layouts are accepted: the store's own columns, and the public
poll layout ``period, indicator, consensus, poll, n_economists, actual, release_date, url,
note`` (``indicator`` is the target; ``actual`` is ignored, actuals come from the data store).

A poll is one row per ``(target, period, source, polled_on)``. Importing a poll identical to a
stored one (same key, consensus and ``n_economists``) counts it as unchanged; the same key with
another figure refuses the whole file. A poll dated on or after the first release of the period
it forecasts (the store's first release, or the file's ``release_date`` column) is refused: the
consensus store only holds what was known before the print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from forecasting.config import TARGETS
from forecasting.consensus_validation import (
    MAX_ECONOMISTS,
    PollSource,
    from_public,
    validate_consensus,
)
from forecasting.db import write_transaction
from forecasting.errors import DataError
from forecasting.observations import ImportResult
from forecasting.tables import consensus_table, observations_table
from forecasting.validation import (
    Problem,
    raise_problems,
    read_csv_table,
    require_columns,
)

__all__ = ["CONSENSUS_COLUMNS", "MAX_ECONOMISTS", "ConsensusStore", "PollSource"]
__all__ += ["consensus_at", "validate_consensus", "write_polls"]

CONSENSUS_COLUMNS = ("target", "period", "consensus", "source", "n_economists", "polled_on", "note")
PUBLIC_COLUMNS = ("period", "indicator", "consensus", "poll")
_SOURCE_PRIORITY = {"bloomberg": 0, "reuters": 1, "wsj": 2, "other": 3}
PollKey = tuple[str, str, str, date | None]


def consensus_at(frame: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """One consensus per ``(target, period)``: the latest poll taken before ``as_of``
    (a poll without a date counts as taken before its release), preferring Bloomberg, then
    Reuters, WSJ and other polls on the same day. Pure.

    Returns:
        the ``CONSENSUS_COLUMNS`` frame with one row per target and period.
    """
    f = frame
    if as_of is not None:
        f = f[f["polled_on"].isna() | (f["polled_on"] < as_of)]
    if f.empty:
        return f.loc[:, list(CONSENSUS_COLUMNS)].copy()
    f = f.assign(
        _day=[d if isinstance(d, date) else date.min for d in f["polled_on"]],
        _prio=f["source"].map(_SOURCE_PRIORITY).fillna(9),
    )
    f = f.sort_values(["target", "period", "_day", "_prio"], ascending=[True, True, True, False])
    best = f.drop_duplicates(["target", "period"], keep="last")
    return best.loc[:, list(CONSENSUS_COLUMNS)].reset_index(drop=True)


class ConsensusStore:
    """Consensus polls in the service database; writes are all-or-nothing under the store's
    write lock (see :func:`forecasting.db.write_transaction`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def frame(self, target: str | None = None) -> pd.DataFrame:
        query = sa.select(*(consensus_table.c[c] for c in CONSENSUS_COLUMNS))
        if target is not None:
            query = query.where(consensus_table.c.target == target)
        with self.engine.connect() as conn:
            rows = conn.execute(
                query.order_by(consensus_table.c.target, consensus_table.c.period)
            ).all()
        frame = pd.DataFrame(rows, columns=list(CONSENSUS_COLUMNS))
        frame["consensus"] = frame["consensus"].astype(float)
        frame["polled_on"] = [
            None if v is None or (isinstance(v, float) and math.isnan(v)) else v
            for v in frame["polled_on"]
        ]
        return frame

    def best(self, target: str, as_of: date | None = None) -> pd.DataFrame:
        return consensus_at(self.frame(target), as_of)

    def value(self, target: str, period: str, as_of: date | None = None) -> float | None:
        best = self.best(target, as_of)
        row = best[best["period"] == str(period)]
        return None if row.empty else float(row["consensus"].iloc[0])

    def import_csv(self, path: Path, *, today: date) -> ImportResult:
        """Validate and add every row in one transaction, or none.

        Returns:
            the rows added, those already stored identically (``unchanged``) and those
            skipped because they carry no consensus value (``skipped``).

        Raises:
            DataError: every problem listed (file, line, column, value); nothing written.
        """
        table = read_csv_table(path)
        if all(c in table.header for c in CONSENSUS_COLUMNS[:4]):
            require_columns(path, table, CONSENSUS_COLUMNS[:4])
            rows = table.rows
        elif all(c in table.header for c in PUBLIC_COLUMNS):
            rows = [(line, from_public(r)) for line, r in table.rows]
        else:
            raise DataError(
                f"{path}, line 1: unrecognised columns {table.header}; expected "
                f"{list(CONSENSUS_COLUMNS)} or {list(PUBLIC_COLUMNS)} (+ n_economists, url, note)"
            )
        skipped = sum(1 for _, r in rows if r.get("consensus", "") == "")
        rows = [(line, r) for line, r in rows if r.get("consensus", "") != ""]
        result = self.add_rows(rows, today=today, where=str(path))
        return ImportResult(added=result.added, unchanged=result.unchanged, skipped=skipped)

    def add(
        self,
        *,
        target: str,
        period: str,
        value: float,
        source: str,
        today: date,
        n_economists: int | None = None,
        polled_on: date | None = None,
        note: str = "",
    ) -> ImportResult:
        """Add one poll (validated like an imported row; an identical stored poll is
        unchanged, another figure under its key refused)."""
        row = {
            "target": target,
            "period": period,
            "consensus": repr(float(value)),
            "source": source,
            "n_economists": "" if n_economists is None else str(n_economists),
            "polled_on": "" if polled_on is None else polled_on.isoformat(),
            "note": note,
        }
        return self.add_rows([(1, row)], today=today, where="consensus add")

    def add_rows(
        self, rows: list[tuple[int, dict[str, str]]], *, today: date, where: str
    ) -> ImportResult:
        """Validate ``(line, row of text cells)`` polls and add them all in one transaction,
        or none (raises ``InvalidRowsError`` naming ``where``, each line and column)."""
        with write_transaction(self.engine) as conn:
            clean, problems = validate_consensus(
                rows, today=today, release_dates=first_releases(conn)
            )
            new, unchanged, conflicts = _against_stored(clean, stored_polls(conn))
            raise_problems(sorted(problems + conflicts, key=lambda p: p.line or 0), where)
            added = insert_polls(conn, new)
        return ImportResult(added=added, unchanged=unchanged)


def write_polls(
    conn: Connection, rows: list[tuple[int, dict[str, str]]], *, where: str
) -> tuple[int, int, list[str]]:
    """Add the polls of a trusted source (the bundled snapshot) in ``conn``'s transaction:
    new polls inserted, identical ones left, and a stored poll with another figure under the
    same key kept as it is (never overwritten).

    Returns:
        (added, unchanged, one message per stored poll kept against the source)

    Raises:
        DataError: a row of the source is invalid.
    """
    clean, problems = validate_consensus(rows, today=date.max, release_dates=first_releases(conn))
    raise_problems(problems, where)
    stored = stored_polls(conn)
    new, unchanged, _ = _against_stored(clean, stored)
    kept = [
        f"the stored poll {rec['target']} {rec['period']} {rec['source']} "
        f"({stored[_key(rec)][0]:g}) is kept; {where} has {rec['consensus']:g}"
        for rec in clean
        if _key(rec) in stored and stored[_key(rec)] != (rec["consensus"], rec["n_economists"])
    ]
    added = insert_polls(conn, new)
    return added, unchanged, kept


def _key(rec: dict) -> PollKey:
    return (rec["target"], rec["period"], rec["source"], rec["polled_on"])


def stored_polls(conn: Connection) -> dict[PollKey, tuple[float, int | None]]:
    """Every stored poll's key and figures (consensus, n_economists), read in ``conn``."""
    c = consensus_table.c
    rows = conn.execute(
        sa.select(c.target, c.period, c.source, c.polled_on, c.consensus, c.n_economists)
    ).all()
    return {(t, p, s, d): (float(v), n) for t, p, s, d, v, n in rows}


def first_releases(conn: Connection) -> dict[tuple[str, str], date]:
    """The first release date of each stored ``(target, period)``, read in ``conn``."""
    o = observations_table.c
    rows = conn.execute(
        sa.select(o.series, o.period, sa.func.min(o.released))
        .where(o.series.in_(list(TARGETS)))
        .group_by(o.series, o.period)
    ).all()
    return {(s, p): d if isinstance(d, date) else date.fromisoformat(str(d)) for s, p, d in rows}


def insert_polls(conn: Connection, records: list[dict]) -> int:
    """Insert validated polls (``validate_consensus`` records) in ``conn``'s transaction."""
    if not records:
        return 0
    now = datetime.now()
    conn.execute(
        consensus_table.insert(),
        [
            {k: v for k, v in rec.items() if k in CONSENSUS_COLUMNS} | {"loaded_at": now}
            for rec in records
        ],
    )
    return len(records)


def _against_stored(
    clean: list[dict], stored: Mapping[PollKey, tuple[float, int | None]]
) -> tuple[list[dict], int, list[Problem]]:
    """New polls, the number identical to a stored one, and a problem for each stored under
    its key with another consensus or number of economists. Pure."""
    new: list[dict] = []
    unchanged = 0
    conflicts: list[Problem] = []
    for rec in clean:
        key = _key(rec)
        old = stored.get(key)
        if old is None:
            new.append(rec)
        elif old == (rec["consensus"], rec["n_economists"]):
            unchanged += 1
        else:
            polled = "undated" if key[3] is None else f"polled on {key[3].isoformat()}"
            n_old = "" if old[1] is None else f", {old[1]} economists"
            conflicts.append(
                Problem(
                    rec["line"],
                    None,
                    f"{rec['target']} {rec['period']} {rec['source']}",
                    f"this poll ({polled}) is already in the consensus store with another figure "
                    f"({old[0]:g}{n_old}); a later poll needs its own polled_on date",
                )
            )
    return new, unchanged, conflicts
