"""The inbox: a folder where any feed (a cron job, a terminal export, a person) drops CSV files.

Each regular file is recognised by its header and imported whole or not at all:

=======================================================  ====================================
header                                                   imported as
=======================================================  ====================================
``series, period, value, released, source``              observations (a release, revisions)
``period, value, unit, source``, file named after a      one series, release dates from its
series (``kr_exports_yoy.csv``, ``kr_exports_yoy-…``)     release rule
``target, period, consensus, source, …`` or              consensus polls (store or public
``period, indicator, consensus, poll, …``                layout)
=======================================================  ====================================

An imported file moves to ``processed/``; a bad one, with nothing written, to ``rejected/``
beside ``<name>.errors.txt`` (the error, one bad line per line). A file still being written is
left for the next run: a hidden name (``.name``), an in-progress suffix (``.part``, ``.tmp``,
...), or a size or modification time that changes while the run looks at it (a file younger
than :data:`SETTLE_SECONDS` is looked at twice, that far apart). Writing ``name.part`` and
renaming it to ``name.csv`` when complete is the safe way for a feed to deliver.

Time is an argument (``clock``, ``sleep``), so tests need not wait.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from forecasting.config import TARGETS
from forecasting.consensus import CONSENSUS_COLUMNS, PUBLIC_COLUMNS
from forecasting.errors import DataError
from forecasting.observations import ImportResult, first_release_dates
from forecasting.series import SERIES
from forecasting.service import Service
from forecasting.validation import OBSERVATION_COLUMNS, csv_header

__all__ = [
    "IN_PROGRESS_SUFFIXES",
    "PROCESSED",
    "REJECTED",
    "SETTLE_SECONDS",
    "FileImport",
    "InboxScan",
    "classify",
    "import_file",
    "move_processed",
    "move_rejected",
    "scan_inbox",
]

PROCESSED = "processed"
REJECTED = "rejected"
#: a file whose size or modification time changes within this many seconds is still arriving
SETTLE_SECONDS = 2.0
#: names of files still being written by a copy, a download or an editor
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".download", ".swp", "~")
SINGLE_SERIES_COLUMNS = ("period", "value", "unit", "source")
Kind = Literal["observations", "series", "consensus"]


@dataclass(frozen=True)
class InboxScan:
    """``ready``: files to import now, oldest first; ``waiting``: files left for the next run
    (still being written)."""

    ready: tuple[Path, ...]
    waiting: tuple[Path, ...]


@dataclass(frozen=True)
class FileImport:
    """What importing one file did: its layout (``kind``, and ``series`` for a one-series
    file), the import counts and ``new_releases``, the ``(target, period)`` whose first
    release the file brought."""

    path: Path
    kind: Kind
    series: str | None
    result: ImportResult
    new_releases: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        what = {"observations": "observations", "consensus": "consensus polls"}.get(
            self.kind, f"series {self.series}"
        )
        r = self.result
        text = f"{self.path.name}: {what}, {r.added} added, {r.unchanged} already stored"
        if r.skipped:
            text += f", {r.skipped} skipped"
        if self.new_releases:
            text += "; first release of " + ", ".join(f"{t} {p}" for t, p in self.new_releases)
        return text


def scan_inbox(
    folder: Path,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> InboxScan:
    """The files of ``folder`` (not its subfolders) ready to import, and those still arriving.

    A file modified less than ``settle_seconds`` ago is stat-ed again after waiting out the
    rest of that time; it is ready only if its size and modification time did not change.
    A missing folder is an empty inbox.
    """
    if not folder.is_dir():
        return InboxScan((), ())
    candidates: list[Path] = []
    waiting: list[Path] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        (waiting if path.name.lower().endswith(IN_PROGRESS_SUFFIXES) else candidates).append(path)
    first = {p: _stat(p) for p in candidates}
    now = clock()
    young = [p for p, st in first.items() if st is not None and now - st[1] / 1e9 < settle_seconds]
    if young:
        newest = max(first[p][1] / 1e9 for p in young)  # type: ignore[index]
        sleep(max(0.0, min(settle_seconds, settle_seconds - (now - newest))))
    ready: list[Path] = []
    for p, st in first.items():
        if st is None:
            continue  # gone meanwhile (another run took it)
        if p in young and _stat(p) != st:
            waiting.append(p)
        else:
            ready.append(p)
    ready.sort(key=lambda p: (first[p][1], p.name))  # type: ignore[index]
    return InboxScan(tuple(ready), tuple(sorted(waiting)))


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def classify(path: Path) -> tuple[Kind, str | None]:
    """The layout of a file from its header (and, for a one-series file, its name).

    Raises:
        DataError: an unreadable file or a header of no known layout (the message lists them).
    """
    header = set(csv_header(path))
    if set(OBSERVATION_COLUMNS) <= header:
        return "observations", None
    if set(CONSENSUS_COLUMNS[:4]) <= header or set(PUBLIC_COLUMNS) <= header:
        return "consensus", None
    if set(SINGLE_SERIES_COLUMNS) <= header:
        series = series_of_name(path.name)
        if series is None:
            rule_series = [n for n, s in SERIES.items() if s.release_rule is not None]
            raise DataError(
                f"{path}, line 1: a one-series file ({', '.join(SINGLE_SERIES_COLUMNS)}) must "
                f"be named after its series, e.g. kr_exports_yoy.csv; known: "
                f"{', '.join(rule_series)}"
            )
        return "series", series
    raise DataError(
        f"{path}, line 1: unrecognised columns {sorted(header)}; expected observations "
        f"{list(OBSERVATION_COLUMNS)}, a one-series file {list(SINGLE_SERIES_COLUMNS)} named "
        f"after its series, or consensus polls {list(CONSENSUS_COLUMNS[:4])} or "
        f"{list(PUBLIC_COLUMNS)}"
    )


def series_of_name(name: str) -> str | None:
    """The series a one-series file is named after: ``<series>.csv``, or ``<series>-<any>``
    / ``<series>.<any>`` (e.g. ``kr_exports_yoy-2026-11.csv``); None if none is."""
    stem = name[: -len(".csv")] if name.lower().endswith(".csv") else name
    for series in sorted(SERIES, key=len, reverse=True):
        spec = SERIES[series]
        if spec.release_rule is None:
            continue
        if stem == series or stem.startswith((f"{series}-", f"{series}.")):
            return series
    return None


def import_file(service: Service, path: Path, *, today: date) -> FileImport:
    """Import one inbox file whole (one transaction) or not at all.

    Raises:
        DataError: the file is not of a known layout or holds a bad row (every problem
            listed); nothing written.
        StoreError: the store cannot be written (the file should stay for the next run).
    """
    kind, series = classify(path)
    if kind == "consensus":
        return FileImport(path, kind, None, service.consensus.import_csv(path, today=today))
    before = _first_releases(service)
    result = service.observations.import_csv(path, today=today, series=series)
    new = sorted(_first_releases(service) - before, key=lambda tp: (tp[1], tp[0]))
    return FileImport(path, kind, series, result, tuple(new))


def _first_releases(service: Service) -> set[tuple[str, str]]:
    obs = service.observations.frame()
    return {(t, p) for t in TARGETS for p in first_release_dates(obs, t).index}


def move_processed(path: Path, inbox: Path, *, now: datetime) -> Path:
    """Move an imported file to ``inbox/processed/`` (a name already there gets the time
    appended); returns where it went."""
    return _move(path, inbox / PROCESSED, now)


def move_rejected(path: Path, inbox: Path, error: str, *, now: datetime) -> tuple[Path, Path]:
    """Move a refused file to ``inbox/rejected/`` and write ``<name>.errors.txt`` beside it
    with ``error`` (the DataError text: a line per bad row). Returns both paths."""
    moved = _move(path, inbox / REJECTED, now)
    errors = moved.with_name(moved.name + ".errors.txt")
    errors.write_text(error.rstrip("\n") + "\n", encoding="utf-8")
    return moved, errors


def _move(path: Path, folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        stamp = now.strftime("%Y%m%dT%H%M%S")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{path.stem}.{stamp}-{n}{path.suffix}"
    os.replace(path, target)
    return target
