"""The inbox folder logic: which files are ready, what layout each is, where each goes."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import pytest

from forecasting.errors import DataError
from forecasting.inbox import (
    classify,
    move_processed,
    move_rejected,
    scan_inbox,
    series_of_name,
)

OLD = time.time() - 3600


def _write(path: Path, text: str, *, old: bool = True) -> Path:
    path.write_text(text, encoding="utf-8")
    if old:
        os.utime(path, (OLD, OLD))
    return path


def test_half_written_files_are_left_and_settled_ones_ready(tmp_path: Path) -> None:
    settled = _write(tmp_path / "a.csv", "period,value,unit,source\n")
    part = _write(tmp_path / "b.csv.part", "period,value")
    tmp = _write(tmp_path / "c.tmp", "period,value")
    _write(tmp_path / ".hidden.csv", "x")
    (tmp_path / "processed").mkdir()
    growing = _write(tmp_path / "d.csv", "period,value,unit,source\n", old=False)
    still = _write(tmp_path / "e.csv", "period,value,unit,source\n", old=False)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        """While the scan waits, the copy of d.csv goes on."""
        waits.append(seconds)
        with open(growing, "a", encoding="utf-8") as fh:
            fh.write("2026-10,1.0,% y/y,feed\n")

    scan = scan_inbox(tmp_path, settle_seconds=2.0, sleep=sleep)
    assert scan.ready == (settled, still)
    assert set(scan.waiting) == {part, tmp, growing}
    assert len(waits) == 1 and 0 < waits[0] <= 2.0
    # nothing young: no wait at all
    os.utime(growing, (OLD, OLD))
    os.utime(still, (OLD, OLD))
    again = scan_inbox(tmp_path, sleep=lambda s: pytest.fail("waited for settled files"))
    assert set(again.ready) == {settled, growing, still}
    assert scan_inbox(tmp_path / "missing").ready == ()


def test_layouts_are_recognised_by_their_header(tmp_path: Path) -> None:
    obs = _write(tmp_path / "anything.csv", "series,period,value,released,source\n")
    assert classify(obs) == ("observations", None)
    one = _write(tmp_path / "kr_exports_yoy.csv", "period,value,unit,source\n")
    assert classify(one) == ("series", "kr_exports_yoy")
    dated = _write(tmp_path / "kr_exports_to_china_yoy-2026-11.csv", "period,value,unit,source\n")
    assert classify(dated) == ("series", "kr_exports_to_china_yoy")
    polls = _write(tmp_path / "polls.csv", "target,period,consensus,source,n_economists\n")
    assert classify(polls) == ("consensus", None)
    public = _write(tmp_path / "public.csv", "period,indicator,consensus,poll,actual\n")
    assert classify(public) == ("consensus", None)
    unnamed = _write(tmp_path / "figures.csv", "period,value,unit,source\n")
    with pytest.raises(DataError, match="must be named after its series"):
        classify(unnamed)
    with pytest.raises(DataError, match=r"unrecognised columns \['a', 'b'\]"):
        classify(_write(tmp_path / "other.csv", "a,b\n1,2\n"))
    assert series_of_name("exports_yoy.csv") is None  # customs figures carry their own dates
    assert series_of_name("kr_exports_yoy_v2.csv") is None


def test_moves_keep_every_file(tmp_path: Path) -> None:
    now = datetime(2026, 12, 3, 10, 5, 0)
    first = move_processed(_write(tmp_path / "f.csv", "1"), tmp_path, now=now)
    second = move_processed(_write(tmp_path / "f.csv", "2"), tmp_path, now=now)
    third = move_processed(_write(tmp_path / "f.csv", "3"), tmp_path, now=now)
    assert first == tmp_path / "processed" / "f.csv"
    assert second.name == "f.20261203T100500.csv" and third.name == "f.20261203T100500-2.csv"
    assert [p.read_text() for p in (first, second, third)] == ["1", "2", "3"]
    moved, errors = move_rejected(_write(tmp_path / "g.csv", "x"), tmp_path, "bad\nline 2", now=now)
    assert moved == tmp_path / "rejected" / "g.csv" and not (tmp_path / "g.csv").exists()
    assert errors == tmp_path / "rejected" / "g.csv.errors.txt"
    assert errors.read_text() == "bad\nline 2\n"
