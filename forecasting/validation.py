"""Boundary validation of imported rows: pure functions, messages name file, line, column, value.

Input is read strictly, so that a file means one thing only:

- a file that cannot be read (missing, a directory, no permission), that is not UTF-8, that
  holds a NUL byte, or whose cell exceeds the CSV field size limit is a :class:`DataError`
  naming the file (and the line);
- a header that names a column twice is refused (never "the last one wins");
- numbers are plain ASCII decimals (``-1.5``, ``27``, ``1e3``): no ``1_0``, ``inf``, ``nan``,
  full-width or other non-ASCII digits, all of which Python's ``float`` accepts;
- dates are ``YYYY-MM-DD`` and periods ``YYYY-MM``, ASCII digits only (Python's
  ``date.fromisoformat`` also takes ``20260714`` and ``2026-W29-2``);
- a figure dated before it can exist (see :mod:`forecasting.series`) is refused.

Messages are plain text; values are quoted with ``repr``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.errors import DataError, InvalidRowsError
from forecasting.series import SERIES
from models.periods import not_a_target_period, parse_day, parse_period

__all__ = [
    "OBSERVATION_COLUMNS",
    "CsvTable",
    "Problem",
    "csv_header",
    "parse_date",
    "parse_number",
    "parse_period",
    "raise_problems",
    "read_csv_rows",
    "read_csv_table",
    "validate_observations",
]

OBSERVATION_COLUMNS = ("series", "period", "value", "released", "source")
#: The China customs series (they carry their own release dates, so have no release rule).
CUSTOMS_SERIES = frozenset(name for name, spec in SERIES.items() if spec.release_rule is None)
MAX_LISTED = 20

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$", re.ASCII)


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
    raise InvalidRowsError(
        "\n".join([head, *lines]), [(p.line, p.column, p.value, p.message) for p in problems]
    )


def parse_number(text: str) -> float | None:
    """A plain ASCII decimal (optional sign, fraction and exponent) as a finite float, else
    None: ``1_0``, ``inf``, ``nan``, ``0x1p3``, non-ASCII digits and overflows are refused."""
    if not isinstance(text, str) or not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


parse_date = parse_day  # strict YYYY-MM-DD: the one parser (models.periods)


@dataclass(frozen=True)
class CsvTable:
    """A CSV read strictly: its (stripped) header and its non-blank rows with the file line
    each starts on."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


def _read_text(path: Path) -> str:
    """The file's text (UTF-8, an optional BOM dropped); every failure a DataError naming it."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{path}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DataError(f"{path}, line {line}: contains a NUL byte (not a text CSV file)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.end]
        raise DataError(
            f"{path}, line {line}: not UTF-8 text (byte(s) {bad!r} at offset {exc.start})"
        ) from None


def read_csv_table(path: Path) -> CsvTable:
    """Read a CSV strictly (see the module docstring).

    Raises:
        DataError: naming the file and line for an unreadable file, bad bytes, a cell over the
            field size limit, broken quoting, a duplicated column or more cells than columns.
    """
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(f"{path}, line {start}: not a readable CSV row ({exc})") from None
        if header is None:
            header = [c.strip() for c in cells]
            _check_header(path, header)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise DataError(
                f"{path}, line {start}: {len(cells)} cells but the header has {len(header)} columns"
            )
        row = {name: "" for name in header if name}
        for name, cell in zip(header, cells, strict=False):
            if name:
                row[name] = cell.strip()
        rows.append((start, row))
    return CsvTable(header=header or [], rows=rows)


def _check_header(path: Path, header: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if not name:
            continue
        if name in seen:
            raise DataError(
                f"{path}, line 1: column {name!r} appears twice (columns {seen[name]} and {i}); "
                "a header must name each column once"
            )
        seen[name] = i


def csv_header(path: Path) -> list[str]:
    """The column names on a CSV's first line (the file read strictly)."""
    return read_csv_table(path).header


def require_columns(path: Path, table: CsvTable, required: Iterable[str]) -> None:
    """A DataError naming the missing columns, if any."""
    required = list(required)
    missing = [c for c in required if c not in table.header]
    if missing:
        raise DataError(
            f"{path}, line 1: missing column(s) {missing}; found {table.header}, "
            f"expected {required}"
        )


def read_csv_rows(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV with their file line numbers; a missing column is an error."""
    table = read_csv_table(path)
    require_columns(path, table, required)
    return table.rows


def validate_observations(
    rows: list[tuple[int, dict[str, str]]], *, today: date
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check observation rows (``series, period, value, released, source``).

    Returns the clean frame (``period`` as ``YYYY-MM`` text, ``released`` as date, plus the
    source ``line``) and the problems found; the caller writes nothing unless the list is
    empty. Pure.
    """
    problems: list[Problem] = []
    clean: list[dict[str, object]] = []
    seen: dict[tuple[str, str, date], int] = {}
    for line, row in rows:
        record, problem = _observation(line, row, today)
        if problem is not None:
            problems.append(problem)
            continue
        key = (record["series"], record["period"], record["released"])
        if key in seen:
            problems.append(
                Problem(
                    line,
                    None,
                    f"{key[0]} {key[1]} {key[2]}",
                    f"duplicate (series, period, released) of line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        clean.append(record)
    frame = pd.DataFrame(clean, columns=[*OBSERVATION_COLUMNS, "line"])
    return frame, problems


def _observation(
    line: int, row: dict[str, str], today: date
) -> tuple[dict[str, object], Problem | None]:
    """One row checked: the clean record, or the first problem found in it."""
    series, period_txt = row.get("series", ""), row.get("period", "")
    value_txt, released_txt = row.get("value", ""), row.get("released", "")
    spec = SERIES.get(series)
    if spec is None:
        return {}, Problem(line, "series", series, f"unknown series; known: {', '.join(SERIES)}")
    period = parse_period(period_txt)
    if period is None:
        return {}, Problem(line, "period", period_txt, "malformed period, expected YYYY-MM")
    reason = not_a_target_period(period) if series in CUSTOMS_SERIES else None
    if reason:
        return {}, Problem(line, "period", period_txt, reason)
    if value_txt == "":
        return {}, Problem(
            line,
            "value",
            value_txt,
            "missing value (leave the row out: a missing figure stays missing)",
        )
    value = parse_number(value_txt)
    if value is None:
        return {}, Problem(line, "value", value_txt, "not a number (expected e.g. -1.5 or 27)")
    implausible = spec.plausible(value)
    if implausible:
        return {}, Problem(
            line, "value", value_txt, f"implausible for {series} ({spec.unit}): {implausible}"
        )
    released = parse_date(released_txt)
    if released is None:
        return {}, Problem(line, "released", released_txt, "malformed date, expected YYYY-MM-DD")
    if released > today:
        return {}, Problem(
            line,
            "released",
            released_txt,
            f"release date in the future (today is {today.isoformat()})",
        )
    earliest = spec.earliest_release(period)
    if released < earliest:
        return {}, Problem(
            line,
            "released",
            released_txt,
            f"released before the figure can exist: {series} for {period_txt} is published "
            f"{spec.earliest_release.description}, not before {earliest.isoformat()}",
        )
    record = {
        "series": series,
        "period": str(period),
        "value": value,
        "released": released,
        "source": row.get("source", ""),
        "line": line,
    }
    return record, None
