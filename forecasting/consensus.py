"""The consensus store: poll medians per target and period, imported, added or listed.

Columns: ``target, period, consensus, source (reuters|bloomberg|wsj|other), n_economists,
polled_on, note``. Two import layouts are accepted: the store's own columns, and the public
poll layout ``period, indicator, consensus, poll, n_economists, actual, release_date, url,
note`` (``indicator`` is the target; ``actual`` is ignored, actuals come from the data store).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.config import TARGETS
from forecasting.db import consensus_table
from forecasting.errors import DataError
from forecasting.series import SERIES
from forecasting.validation import (
    Problem,
    csv_header,
    parse_date,
    parse_period,
    raise_problems,
    read_csv_rows,
)
from models.periods import not_a_target_period

__all__ = ["CONSENSUS_COLUMNS", "ConsensusStore", "PollSource", "consensus_at"]

PollSource = Literal["reuters", "bloomberg", "wsj", "other"]
POLL_SOURCES: tuple[str, ...] = get_args(PollSource)
CONSENSUS_COLUMNS = ("target", "period", "consensus", "source", "n_economists", "polled_on", "note")
PUBLIC_COLUMNS = ("period", "indicator", "consensus", "poll")
_SOURCE_PRIORITY = {"bloomberg": 0, "reuters": 1, "wsj": 2, "other": 3}


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

    def import_csv(self, path: Path, *, today: date) -> tuple[int, int]:
        """Validate and add every row in one transaction, or none.

        Returns:
            (rows added, rows skipped because they carry no consensus value).
        """
        header = csv_header(path)
        if all(c in header for c in CONSENSUS_COLUMNS[:4]):
            rows = read_csv_rows(path, CONSENSUS_COLUMNS[:4])
        elif all(c in header for c in PUBLIC_COLUMNS):
            rows = [(line, _from_public(r)) for line, r in read_csv_rows(path, PUBLIC_COLUMNS)]
        else:
            raise DataError(
                f"{path}, line 1: unrecognised columns {header}; expected "
                f"{list(CONSENSUS_COLUMNS)} or {list(PUBLIC_COLUMNS)} (+ n_economists, url, note)"
            )
        skipped = sum(1 for _, r in rows if r.get("consensus", "") == "")
        rows = [(line, r) for line, r in rows if r.get("consensus", "") != ""]
        return self._add(rows, today=today, where=str(path)), skipped

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
    ) -> int:
        row = {
            "target": target,
            "period": period,
            "consensus": repr(float(value)),
            "source": source,
            "n_economists": "" if n_economists is None else str(n_economists),
            "polled_on": "" if polled_on is None else polled_on.isoformat(),
            "note": note,
        }
        return self._add([(1, row)], today=today, where="consensus add")

    def load_snapshot(self) -> int:
        from forecasting.snapshot_loader import SNAPSHOT_CONSENSUS, snapshot_path

        rows = read_csv_rows(snapshot_path(SNAPSHOT_CONSENSUS), CONSENSUS_COLUMNS)
        existing = {
            (t, p, s)
            for t, p, s in zip(
                *(self.frame()[c] for c in ("target", "period", "source")), strict=True
            )
        }
        rows = [
            (ln, r) for ln, r in rows if (r["target"], r["period"], r["source"]) not in existing
        ]
        return self._add(rows, today=date.today(), where="bundled consensus snapshot")

    def _add(self, rows: list[tuple[int, dict[str, str]]], *, today: date, where: str) -> int:
        clean, problems = validate_consensus(rows, today=today)
        existing = self.frame()
        keys = set(
            zip(
                existing["target"],
                existing["period"],
                existing["source"],
                existing["polled_on"],
                strict=True,
            )
        )
        for rec in clean:
            if (rec["target"], rec["period"], rec["source"], rec["polled_on"]) in keys:
                problems.append(
                    Problem(
                        rec["line"],
                        None,
                        f"{rec['target']} {rec['period']} {rec['source']}",
                        "this poll is already in the consensus store",
                    )
                )
        raise_problems(problems, where)
        if not clean:
            return 0
        now = datetime.now()
        with self.engine.begin() as conn:
            conn.execute(
                consensus_table.insert(),
                [
                    {**{k: v for k, v in rec.items() if k != "line"}, "loaded_at": now}
                    for rec in clean
                ],
            )
        return len(clean)


def _from_public(row: dict[str, str]) -> dict[str, str]:
    note = " ".join(x for x in (row.get("url", ""), row.get("note", "")) if x)
    return {
        "target": row["indicator"],
        "period": row["period"],
        "consensus": row["consensus"],
        "source": row.get("poll", "") or "other",
        "n_economists": row.get("n_economists", ""),
        "polled_on": "",
        "note": note,
    }


def validate_consensus(
    rows: list[tuple[int, dict[str, str]]], *, today: date
) -> tuple[list[dict], list[Problem]]:
    """Check consensus rows; returns clean records (with ``line``) and the problems. Pure."""
    problems: list[Problem] = []
    clean: list[dict] = []
    seen: dict[tuple, int] = {}
    for line, r in rows:
        target, period_txt = r.get("target", ""), r.get("period", "")
        if target not in TARGETS:
            problems.append(
                Problem(line, "target", target, f"unknown target; known: {', '.join(TARGETS)}")
            )
            continue
        period = parse_period(period_txt)
        if period is None:
            problems.append(
                Problem(line, "period", period_txt, "malformed period, expected YYYY-MM")
            )
            continue
        reason = not_a_target_period(period)
        if reason:
            problems.append(Problem(line, "period", period_txt, reason))
            continue
        try:
            value = float(r.get("consensus", ""))
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(Problem(line, "consensus", r.get("consensus"), "not a number"))
            continue
        implausible = SERIES[target].plausible(value)
        if implausible:
            problems.append(
                Problem(
                    line, "consensus", r["consensus"], f"implausible for {target}: {implausible}"
                )
            )
            continue
        source = (r.get("source") or "other").lower()
        if source not in POLL_SOURCES:
            problems.append(
                Problem(
                    line,
                    "source",
                    r.get("source"),
                    f"unknown poll source; known: {', '.join(POLL_SOURCES)}",
                )
            )
            continue
        n_txt = r.get("n_economists", "")
        n_econ: int | None = None
        if n_txt:
            try:
                n_econ = int(float(n_txt))
                if n_econ < 1 or n_econ != float(n_txt):
                    raise ValueError
            except ValueError:
                problems.append(Problem(line, "n_economists", n_txt, "not a positive whole number"))
                continue
        polled_txt = r.get("polled_on", "")
        polled: date | None = None
        if polled_txt:
            polled = parse_date(polled_txt)
            if polled is None:
                problems.append(
                    Problem(line, "polled_on", polled_txt, "malformed date, expected YYYY-MM-DD")
                )
                continue
            if polled > today:
                problems.append(
                    Problem(
                        line, "polled_on", polled_txt, f"poll date in the future (today is {today})"
                    )
                )
                continue
        key = (target, str(period), source, polled)
        if key in seen:
            problems.append(
                Problem(
                    line,
                    None,
                    f"{target} {period_txt} {source}",
                    f"duplicate poll of line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        clean.append(
            {
                "target": target,
                "period": str(period),
                "consensus": value,
                "source": source,
                "n_economists": n_econ,
                "polled_on": polled,
                "note": r.get("note", ""),
                "line": line,
            }
        )
    return clean, problems
