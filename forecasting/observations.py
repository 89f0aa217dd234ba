"""The vintaged observation store and the information set (the no-look-ahead rule).

Every figure is a row ``series, period, value, released, source``. A revision is a new row
with a later ``released``; an import never overwrites. The one exception is the bundled
snapshot's own correction of a figure it shipped (a value mistyped or rounded in an earlier
snapshot, same release date): the snapshot loader replaces that row and records the old value
in the ``observation_corrections`` audit (see :mod:`forecasting.snapshot_loader`); a row a
user added is never changed. :func:`information_set` is the only way
models see data: per series and period, the latest value released strictly before ``as_of``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from forecasting.db import write_transaction
from forecasting.single_series import single_series_rows
from forecasting.tables import corrections_table, observations_table
from forecasting.validation import (
    OBSERVATION_COLUMNS,
    Problem,
    raise_problems,
    read_csv_rows,
    validate_observations,
)

#: the ``source`` of a figure the service derived rather than a report stated
DERIVED_PREFIX = "derived:"
#: the series whose ``derived:`` rows the service makes and regenerates (forecasting.derived);
#: on any other series such a source is just a source (e.g. a y/y rate computed from levels)
DERIVED_SERIES = ("exports_usd_bn", "imports_usd_bn")


def derived_mask(frame: pd.DataFrame) -> pd.Series:
    """True for the rows the service derived: a level series and a ``derived:`` source."""
    return frame["series"].isin(DERIVED_SERIES) & frame["source"].astype(str).str.startswith(
        DERIVED_PREFIX
    )


__all__ = [
    "DERIVED_PREFIX",
    "DERIVED_SERIES",
    "ImportResult",
    "ObservationStore",
    "against_store",
    "derived_mask",
    "first_release_actuals",
    "first_release_dates",
    "information_set",
    "insert_rows",
    "stored_rows",
    "target_history",
]


def information_set(observations: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per ``(series, period)``, the latest value with ``released < as_of``.

    Pure: the input frame is not modified.

    Returns:
        DataFrame with columns ``series, period, value, released, source``, sorted by series
        and period.
    """
    known = observations[observations["released"] < as_of]
    latest = (
        known.sort_values(["series", "period", "released"])
        .drop_duplicates(["series", "period"], keep="last")
        .reset_index(drop=True)
    )
    return latest.loc[:, list(OBSERVATION_COLUMNS)]


def first_release_dates(observations: pd.DataFrame, series: str) -> pd.Series:
    """The date each period of ``series`` was first published (period text -> date). Pure."""
    rows = observations[observations["series"] == series]
    return rows.groupby("period")["released"].min()


def first_release_actuals(observations: pd.DataFrame, series: str) -> pd.Series:
    """The value each period of ``series`` was first published with (period text -> value).
    Pure."""
    rows = observations[observations["series"] == series].sort_values("released")
    return rows.drop_duplicates("period", keep="first").set_index("period")["value"]


def target_history(info: pd.DataFrame, series: str) -> pd.Series:
    """One series of an information set as a float Series on a contiguous monthly PeriodIndex
    (missing months NaN), the input every model takes."""
    rows = info[info["series"] == series]
    if rows.empty:
        return pd.Series(dtype=float, index=pd.PeriodIndex([], freq="M"), name=series)
    s = pd.Series(
        rows["value"].to_numpy(dtype=float),
        index=pd.PeriodIndex(rows["period"], freq="M"),
        name=series,
    ).sort_index()
    full = pd.period_range(s.index[0], s.index[-1], freq="M")
    return s.reindex(full)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (every importer returns one).

    ``added``: rows written. ``unchanged``: rows identical to a stored one (same key, same
    value), counted as already stored. ``skipped``: rows left out on purpose, written nowhere:
    in the single-series layout a period the store already holds under another value or
    release date (the stored, dated figure is kept); in a consensus file a row without a
    consensus value.
    """

    added: int
    unchanged: int = 0
    skipped: int = 0
    #: what the import made visible (a balance that disagrees with the stated levels)
    warnings: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[int]:
        """``added, skipped = result``: the pair ``ConsensusStore.import_csv`` used to return
        (kept while the CLI unpacks it; read the fields instead)."""
        return iter((self.added, self.skipped))


class ObservationStore:
    """Observation rows in the service database.

    Writes are all-or-nothing and hold the store's write lock from the conflict check to the
    commit (:func:`forecasting.db.write_transaction`), so concurrent imports of the same rows
    both succeed: the later one finds them stored and counts them as unchanged.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        """Every stored row (all vintages)."""
        if self._cache is None:
            with self.engine.connect() as conn:
                self._cache = stored_rows(conn).loc[:, list(OBSERVATION_COLUMNS)]
        return self._cache.copy()

    def invalidate(self) -> None:
        """Forget the cached rows (another writer changed the store)."""
        self._cache = None

    def information_set(self, as_of: date) -> pd.DataFrame:
        return information_set(self.frame(), as_of)

    def latest(self) -> pd.DataFrame:
        """The latest vintage of every figure (what is known today)."""
        return information_set(self.frame(), date.max)

    def release_dates(self, series: str) -> dict[str, date]:
        """First release date of each period of ``series``."""
        return first_release_dates(self.frame(), series).to_dict()

    def corrections(self) -> pd.DataFrame:
        """The audit of what snapshot loads changed in (or declined to change in) stored rows.

        Returns:
            DataFrame with columns ``series, period, released, action, old_value, old_source,
            new_value, new_source, snapshot, recorded_at`` (``action``: ``corrected``,
            ``source_updated`` or ``kept_stored``), oldest first.
        """
        cols = [c.name for c in corrections_table.columns if c.name != "id"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*(corrections_table.c[c] for c in cols)).order_by(corrections_table.c.id)
            ).all()
        return pd.DataFrame(rows, columns=cols)

    def import_csv(self, path: Path, *, today: date, series: str | None = None) -> ImportResult:
        """Validate a CSV and add all its rows in one transaction, or none.

        Two layouts: the observation columns ``series, period, value, released, source``, or,
        with ``series``, a one-series file ``period, value, unit, source`` whose release dates
        come from that series' release rule.

        Observation layout: a row identical to a stored one (same ``series, period,
        released`` and value) is counted as unchanged; one with the same key and another
        value is a conflict that refuses the whole file (a revision is a row with a later
        ``released``). Single-series layout: a period the store already holds (any vintage)
        is kept: counted as unchanged when the stored figure at the rule's date has the
        file's value, else skipped (e.g. a bundled first release over a later revised series).

        Raises:
            DataError: every problem of the file listed; nothing written.
        """
        if series is None:
            rows = read_csv_rows(path, OBSERVATION_COLUMNS)
        else:
            rows = single_series_rows(path, series)
        frame, problems = validate_observations(rows, today=today)
        return self._write(frame, problems, str(path), fill_only=series is not None)

    def add_frame(self, frame: pd.DataFrame, *, today: date, where: str) -> ImportResult:
        """Validate and add rows given as a frame (e.g. ``data add``); all or nothing, with
        the observation layout's rules (identical rows unchanged, conflicts refused)."""
        rows = [
            (i + 1, {k: "" if pd.isna(v) else str(v) for k, v in rec.items()})
            for i, rec in enumerate(frame.loc[:, list(OBSERVATION_COLUMNS)].to_dict("records"))
        ]
        clean, problems = validate_observations(rows, today=today)
        return self._write(clean, problems, where, fill_only=False)

    def stored_keys(self) -> set[tuple[str, str, date]]:
        """Every stored ``(series, period, released)`` (the key a row may have only once)."""
        f = self.frame()
        return set(zip(f["series"], f["period"], f["released"], strict=True))

    def _write(
        self, frame: pd.DataFrame, problems: list[Problem], where: str, *, fill_only: bool
    ) -> ImportResult:
        skipped = 0
        with write_transaction(self.engine) as conn:
            stored = stored_rows(conn, set(frame["series"]))
            # a derived figure (forecasting.derived) gives way to a stated one at its key
            derived = stored[derived_mask(stored)]
            stored = stored.drop(index=derived.index)
            problems = problems + [
                Problem(
                    int(r.line),
                    "source",
                    _short(str(r.source)),
                    f"a {r.series} source starting {DERIVED_PREFIX!r} is reserved for the levels "
                    "the service derives; name the report the figure comes from",
                )
                for r in frame[derived_mask(frame)].itertuples()
            ]
            if fill_only:
                new, unchanged, skipped = _fill_missing_periods(frame, stored)
                conflicts: list[Problem] = []
            else:
                new, unchanged, conflicts = against_store(frame, stored)
            all_problems = sorted(problems + conflicts, key=lambda p: p.line or 0)
            raise_problems(all_problems, where)
            keys = set(zip(new["series"], new["period"], new["released"], strict=True))
            ids = [
                int(i)
                for i, k in zip(
                    derived["id"],
                    zip(derived["series"], derived["period"], derived["released"], strict=True),
                    strict=True,
                )
                if k in keys
            ]
            if ids:
                conn.execute(observations_table.delete().where(observations_table.c.id.in_(ids)))
            added = insert_rows(conn, new)
        self._cache = None
        warnings: list[str] = []
        if added:  # the derived levels follow the stated figures at once, not on the next start
            from forecasting.derived import refresh_derived_levels

            warnings = refresh_derived_levels(self.engine)
        return ImportResult(added, unchanged, skipped, tuple(warnings))


def stored_rows(conn: Connection, series: Iterable[str] | None = None) -> pd.DataFrame:
    """The stored observation rows (of ``series`` only, if given), read in ``conn``.

    Returns:
        DataFrame with columns ``series, period, value, released, source, id``.
    """
    cols = [*OBSERVATION_COLUMNS, "id"]
    query = sa.select(*(observations_table.c[c] for c in cols))
    if series is not None:
        names = sorted(series)
        if not names:
            return _empty_rows(cols)
        query = query.where(observations_table.c.series.in_(names))
    rows = conn.execute(query).all()
    if not rows:
        return _empty_rows(cols)
    frame = pd.DataFrame(rows, columns=cols)
    frame["value"] = frame["value"].astype(float)
    frame["released"] = pd.to_datetime(frame["released"]).dt.date
    return frame


def _empty_rows(cols: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    frame["value"] = frame["value"].astype(float)
    return frame


def against_store(
    frame: pd.DataFrame, stored: pd.DataFrame
) -> tuple[pd.DataFrame, int, list[Problem]]:
    """Split validated rows against the stored ones (same key): new rows, the number identical
    to a stored row, and a problem for each with another value. Pure.

    Returns:
        (the rows to insert, unchanged count, conflicts)
    """
    have = {
        (s, p, r): (v, src)
        for s, p, r, v, src in zip(
            stored["series"],
            stored["period"],
            stored["released"],
            stored["value"],
            stored["source"],
            strict=True,
        )
    }
    keep: list[bool] = []
    unchanged = 0
    conflicts: list[Problem] = []
    for r in frame.itertuples():
        old = have.get((r.series, r.period, r.released))
        keep.append(old is None)
        if old is None:
            continue
        if old[0] == r.value:
            unchanged += 1
        else:
            conflicts.append(
                Problem(
                    int(r.line),
                    "value",
                    _number_text(r.value),
                    f"{r.series} {r.period} released {r.released} is already in the store with "
                    f"another value ({_number_text(old[0])}, source {_short(old[1])!r}); "
                    "a revision is a row with a later released date",
                )
            )
    return frame.loc[pd.Series(keep, index=frame.index, dtype=bool)], unchanged, conflicts


def _fill_missing_periods(
    frame: pd.DataFrame, stored: pd.DataFrame
) -> tuple[pd.DataFrame, int, int]:
    """Single-series layout: keep every stored period. Pure.

    Returns:
        (rows of periods the store lacks, rows identical to the stored figure at their key,
        other rows of stored periods)
    """
    periods = set(zip(stored["series"], stored["period"], strict=True))
    values = {
        (s, p, r): v
        for s, p, r, v in zip(
            stored["series"], stored["period"], stored["released"], stored["value"], strict=True
        )
    }
    keep: list[bool] = []
    unchanged = skipped = 0
    for r in frame.itertuples():
        if (r.series, r.period) not in periods:
            keep.append(True)
            continue
        keep.append(False)
        if values.get((r.series, r.period, r.released)) == r.value:
            unchanged += 1
        else:
            skipped += 1
    return frame.loc[pd.Series(keep, index=frame.index, dtype=bool)], unchanged, skipped


def insert_rows(conn: Connection, frame: pd.DataFrame) -> int:
    """Insert validated observation rows in ``conn``'s transaction; returns how many."""
    if frame.empty:
        return 0
    now = datetime.now()
    records = [
        {**{c: rec[c] for c in OBSERVATION_COLUMNS}, "loaded_at": now}
        for rec in frame.to_dict("records")
    ]
    conn.execute(observations_table.insert(), records)
    return len(records)


def _short(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters (a stored source can be a paragraph)."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _number_text(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))
