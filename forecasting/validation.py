"""Boundary validation of imported rows: pure functions, messages name file, line, column, value."""

from __future__ import annotations

import contextlib
import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.errors import DataError
from forecasting.series import SERIES
from models.periods import not_a_target_period, parse_period

__all__ = [
    "OBSERVATION_COLUMNS",
    "Problem",
    "csv_header",
    "parse_date",
    "parse_period",
    "raise_problems",
    "read_csv_rows",
    "validate_observations",
]

OBSERVATION_COLUMNS = ("series", "period", "value", "released", "source")
#: The China customs series (they carry their own release dates, so have no release rule).
CUSTOMS_SERIES = frozenset(name for name, spec in SERIES.items() if spec.release_rule is None)
MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    line: int | None
    column: str | None
    value: str | None
    message: str

    def render(self, where: str) -> str:
        loc = where if self.line is None else f"{where}, line {self.line}"
        if self.column is not None:
            loc += f", column {self.column!r}"
        val = "" if self.value is None else f" (value {self.value!r})"
        return f"{loc}: {self.message}{val}"


def raise_problems(problems: list[Problem], where: str) -> None:
    if not problems:
        return
    lines = [p.render(where) for p in problems[:MAX_LISTED]]
    more = len(problems) - MAX_LISTED
    if more > 0:
        lines.append(f"... and {more} more problem(s)")
    head = f"{len(problems)} problem(s) in {where}; nothing was written:"
    raise DataError("\n".join([head, *lines]))


@contextlib.contextmanager
def _data_errors(path: Path) -> Iterator[None]:
    """A missing or non-UTF-8 file as a :class:`DataError` naming ``path``."""
    try:
        yield
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc})") from None


def csv_header(path: Path) -> list[str]:
    """The column names on a CSV's first line."""
    with _data_errors(path), path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def read_csv_rows(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with their file line numbers; a missing column is an error."""
    with _data_errors(path):
        text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{path}, line 1: missing column(s) {missing}; found {header}, "
            f"expected {list(required)}"
        )
    rows = []
    for row in reader:
        if None in row:  # more cells than header columns
            raise DataError(f"{path}, line {reader.line_num}: more cells than header columns")
        if not any((v or "").strip() for v in row.values()):
            continue
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def validate_observations(
    rows: list[tuple[int, dict[str, str]]], *, today: date
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check observation rows (``series, period, value, released, source``).

    Returns the clean frame (``period`` as ``YYYY-MM`` text, ``released`` as date) and the
    problems found; the caller writes nothing unless the list is empty.
    """
    problems: list[Problem] = []
    clean: list[dict[str, object]] = []
    seen: dict[tuple[str, str, date], int] = {}
    for line, row in rows:
        series, period_txt = row["series"], row["period"]
        value_txt, released_txt = row["value"], row["released"]
        spec = SERIES.get(series)
        if spec is None:
            problems.append(
                Problem(line, "series", series, f"unknown series; known: {', '.join(SERIES)}")
            )
            continue
        period = parse_period(period_txt)
        if period is None:
            problems.append(
                Problem(line, "period", period_txt, "malformed period, expected YYYY-MM")
            )
            continue
        reason = not_a_target_period(period) if series in CUSTOMS_SERIES else None
        if reason:
            problems.append(Problem(line, "period", period_txt, reason))
            continue
        if value_txt == "":
            problems.append(
                Problem(
                    line,
                    "value",
                    value_txt,
                    "missing value (leave the row out: a missing figure stays missing)",
                )
            )
            continue
        try:
            value = float(value_txt)
        except ValueError:
            problems.append(Problem(line, "value", value_txt, "not a number"))
            continue
        if not math.isfinite(value):
            problems.append(Problem(line, "value", value_txt, "not a finite number"))
            continue
        implausible = spec.plausible(value)
        if implausible:
            problems.append(
                Problem(
                    line,
                    "value",
                    value_txt,
                    f"implausible for {series} ({spec.unit}): {implausible}",
                )
            )
            continue
        released = parse_date(released_txt)
        if released is None:
            problems.append(
                Problem(line, "released", released_txt, "malformed date, expected YYYY-MM-DD")
            )
            continue
        if released > today:
            problems.append(
                Problem(
                    line,
                    "released",
                    released_txt,
                    f"release date in the future (today is {today.isoformat()})",
                )
            )
            continue
        if released < period.start_time.date():
            problems.append(
                Problem(
                    line, "released", released_txt, f"released before its period {period_txt} began"
                )
            )
            continue
        key = (series, str(period), released)
        if key in seen:
            problems.append(
                Problem(
                    line,
                    None,
                    f"{series} {period_txt} {released_txt}",
                    f"duplicate (series, period, released) of line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        clean.append(
            {
                "series": series,
                "period": str(period),
                "value": value,
                "released": released,
                "source": row.get("source", ""),
                "line": line,
            }
        )
    frame = pd.DataFrame(clean, columns=[*OBSERVATION_COLUMNS, "line"])
    return frame, problems
