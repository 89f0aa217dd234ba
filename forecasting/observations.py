"""The vintaged observation store and the information set (the no-look-ahead rule).

Every figure is a row ``series, period, value, released, source``. A revision is a new row
with a later ``released``; nothing is overwritten. :func:`information_set` is the only way
models see data: per series and period, the latest value released strictly before ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.db import observations_table
from forecasting.series import SERIES, series_spec
from forecasting.validation import (
    OBSERVATION_COLUMNS,
    Problem,
    parse_period,
    raise_problems,
    read_csv_rows,
    validate_observations,
)

__all__ = [
    "ImportResult",
    "ObservationStore",
    "first_release_actuals",
    "first_release_dates",
    "information_set",
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
    added: int
    skipped: int = 0


class ObservationStore:
    """Observation rows in the service database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        """Every stored row (all vintages)."""
        if self._cache is None:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(*(observations_table.c[c] for c in OBSERVATION_COLUMNS))
                ).all()
            frame = pd.DataFrame(rows, columns=list(OBSERVATION_COLUMNS))
            frame["value"] = frame["value"].astype(float)
            frame["released"] = pd.to_datetime(frame["released"]).dt.date
            self._cache = frame
        return self._cache.copy()

    def information_set(self, as_of: date) -> pd.DataFrame:
        return information_set(self.frame(), as_of)

    def latest(self) -> pd.DataFrame:
        """The latest vintage of every figure (what is known today)."""
        return information_set(self.frame(), date.max)

    def release_dates(self, series: str) -> dict[str, date]:
        """First release date of each period of ``series``."""
        return first_release_dates(self.frame(), series).to_dict()

    def import_csv(self, path: Path, *, today: date, series: str | None = None) -> ImportResult:
        """Validate a CSV and add all its rows in one transaction, or none.

        Two layouts: the observation columns ``series, period, value, released, source``, or,
        with ``series``, a one-series file ``period, value, unit, source`` whose release dates
        come from that series' release rule. In the second layout a period the store already
        holds (any vintage) is skipped and counted: the stored, dated figure is kept rather
        than a rule-dated copy (e.g. a first release over a later revised series).
        """
        if series is None:
            rows = read_csv_rows(path, OBSERVATION_COLUMNS)
        else:
            rows = _single_series_rows(path, series)
        frame, problems = validate_observations(rows, today=today)
        skipped = 0
        if series is None:
            problems += self._conflicts(frame)
        elif not frame.empty:
            # every stored period of the series is skipped, so no stored key can conflict
            stored = self.frame()
            have = set(stored.loc[stored["series"] == series, "period"])
            keep = ~frame["period"].isin(have)
            skipped = int((~keep).sum())
            frame = frame[keep]
        raise_problems(problems, str(path))
        return ImportResult(added=self._insert(frame), skipped=skipped)

    def add_frame(self, frame: pd.DataFrame, *, today: date, where: str) -> int:
        """Validate and add rows given as a frame (e.g. ``data add``); all or nothing."""
        rows = [
            (i + 1, {k: "" if pd.isna(v) else str(v) for k, v in rec.items()})
            for i, rec in enumerate(frame.loc[:, list(OBSERVATION_COLUMNS)].to_dict("records"))
        ]
        clean, problems = validate_observations(rows, today=today)
        problems += self._conflicts(clean)
        raise_problems(problems, where)
        return self._insert(clean)

    def stored_keys(self) -> set[tuple[str, str, date]]:
        """Every stored ``(series, period, released)`` (the key a row may have only once)."""
        f = self.frame()
        return set(zip(f["series"], f["period"], f["released"], strict=True))

    def _conflicts(self, frame: pd.DataFrame) -> list[Problem]:
        if frame.empty:
            return []
        keys = self.stored_keys()
        return [
            Problem(
                int(r.line),
                None,
                f"{r.series} {r.period} {r.released}",
                "duplicate (series, period, released): already in the store",
            )
            for r in frame.itertuples()
            if (r.series, r.period, r.released) in keys
        ]

    def _insert(self, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        now = datetime.now()
        records = [
            {**{c: rec[c] for c in OBSERVATION_COLUMNS}, "loaded_at": now}
            for rec in frame.to_dict("records")
        ]
        with self.engine.begin() as conn:
            conn.execute(observations_table.insert(), records)
        self._cache = None
        return len(records)


def _single_series_rows(path: Path, series: str) -> list[tuple[int, dict[str, str]]]:
    from forecasting.errors import DataError

    if series not in SERIES:
        raise DataError(f"unknown series {series!r}; known series: {', '.join(SERIES)}")
    spec = series_spec(series)
    if spec.release_rule is None:
        raise DataError(
            f"series {series!r} has no release rule: import it in the observation layout "
            "(series, period, value, released, source) with its release dates"
        )
    raw = read_csv_rows(path, ("period", "value", "unit", "source"))
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for line, row in raw:
        if not spec.unit_matches(row["unit"]):
            problems.append(
                Problem(line, "unit", row["unit"], f"unit does not match {series} ({spec.unit})")
            )
            continue
        period = parse_period(row["period"])
        released = "" if period is None else spec.release_rule(period).isoformat()
        rows.append(
            (
                line,
                {
                    "series": series,
                    "period": row["period"],
                    "value": row["value"],
                    "released": released,
                    "source": row["source"],
                },
            )
        )
    raise_problems(problems, str(path))
    return rows
