"""Strict input at the import boundary: a file means one thing or is refused, plainly."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import DataError
from forecasting.series import SERIES
from forecasting.validation import parse_date, parse_number

TODAY = date(2026, 11, 29)
OBS = "series,period,value,released,source\n"
ONE = "period,value,unit,source\n"
POLLS = "target,period,consensus,source,n_economists,polled_on,note\n"


def _importers(service) -> dict[str, tuple[str, str, Callable[[Path], object]]]:  # noqa: ANN001
    """Per importer: its header, a valid row, and the call."""
    return {
        "observations": (
            OBS,
            "exports_yoy,2026-09,3.0,2026-10-13,ok\n",
            lambda p: service.observations.import_csv(p, today=TODAY),
        ),
        "single-series": (
            ONE,
            "2026-10,50.1,index,ok\n",
            lambda p: service.observations.import_csv(
                p, today=TODAY, series="cn_pmi_manufacturing"
            ),
        ),
        "consensus": (
            POLLS,
            "exports_yoy,2026-11,4.0,reuters,30,2026-11-20,ok\n",
            lambda p: service.consensus.import_csv(p, today=TODAY),
        ),
    }


def _state(service) -> tuple[pd.DataFrame, pd.DataFrame]:  # noqa: ANN001
    return service.observations.frame(), service.consensus.frame()


def _assert_unchanged(service, before) -> None:  # noqa: ANN001
    after = _state(service)
    pd.testing.assert_frame_equal(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])


@pytest.mark.parametrize("importer", ["observations", "single-series", "consensus"])
@pytest.mark.parametrize(
    ("content", "needle", "line"),
    [
        (lambda h, r: h.encode() + r.encode() + b"x,\xff\xfe,y\n", "not UTF-8", 3),
        (lambda h, r: h.encode() + r.encode() + b"a\x00b\n", "NUL byte", 3),
        (lambda h, r: h.encode() + r.replace(",", "," + "9" * 200_000, 1).encode(), "field", 2),
        (lambda h, r: h.encode() + b'"open quote\n' * 2, "", None),
    ],
)
def test_unreadable_bytes_are_a_data_error_naming_file_and_line(
    service, tmp_path: Path, importer: str, content, needle: str, line: int | None
) -> None:
    header, row, call = _importers(service)[importer]
    f = tmp_path / "in.csv"
    f.write_bytes(content(header, row))
    before = _state(service)
    with pytest.raises(DataError) as err:
        call(f)
    msg = str(err.value)
    assert str(f) in msg and needle in msg
    if line is not None:
        assert f"line {line}" in msg
    _assert_unchanged(service, before)


@pytest.mark.parametrize("importer", ["observations", "single-series", "consensus"])
def test_directory_missing_and_unreadable_files(service, tmp_path: Path, importer: str) -> None:
    _, _, call = _importers(service)[importer]
    with pytest.raises(DataError, match="is a directory"):
        call(tmp_path)
    with pytest.raises(DataError, match="file not found"):
        call(tmp_path / "nope.csv")
    if os.geteuid() != 0:  # root reads anything
        f = tmp_path / "secret.csv"
        f.write_text("x\n")
        f.chmod(0)
        with pytest.raises(DataError, match="permission denied"):
            call(f)


@pytest.mark.parametrize("importer", ["observations", "single-series", "consensus"])
def test_a_duplicated_column_is_refused_not_last_one_wins(
    service, tmp_path: Path, importer: str
) -> None:
    header, row, call = _importers(service)[importer]
    cols = header.strip().split(",")
    twice = "value" if "value" in cols else "consensus"
    f = tmp_path / "dup.csv"
    f.write_text(",".join([*cols, twice]) + "\n" + row.strip() + ",1\n")
    before = _state(service)
    with pytest.raises(DataError, match=rf"line 1: column '{twice}' appears twice"):
        call(f)
    _assert_unchanged(service, before)


@pytest.mark.parametrize(
    "text", ["1_0", "inf", "-inf", "nan", "NaN", "１０", "١٠", "0x10", "1e400", "1 0", "+", "."]
)
def test_python_only_number_spellings_are_refused(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize("text", ["10", "-1.5", "+2", ".5", "5.", "1e3", "-2.5E-1"])
def test_plain_decimals_are_numbers(text: str) -> None:
    assert parse_number(text) == float(text)


@pytest.mark.parametrize(
    "text",
    ["20261013", "2026-W41-2", "２０２６-10-13", "2026-10-13T00:00", "2026-1-13", "2026-02-30"],
)
def test_only_iso_calendar_dates(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("row", "column", "needle"),
    [
        ("exports_yoy,2026-09,1_0,2026-10-13,x", "value", "not a number"),
        ("exports_yoy,2026-09,inf,2026-10-13,x", "value", "not a number"),
        ("exports_yoy,2026-09,１０,2026-10-13,x", "value", "not a number"),
        ("exports_yoy,2026-09,3.0,20261013,x", "released", "malformed date"),
        ("exports_yoy,2026-09,3.0,2026-W41-2,x", "released", "malformed date"),
        ("exports_yoy,２０２６-09,3.0,2026-10-13,x", "period", "malformed period"),
        ("exports_yoy,202609,3.0,2026-10-13,x", "period", "malformed period"),
        ("exports_yoy,2026-09,[/x],2026-10-13,x", "value", "'[/x]'"),
    ],
)
def test_observation_rows_spelled_otherwise_are_refused(
    service, tmp_path: Path, row: str, column: str, needle: str
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(OBS + row + "\n", encoding="utf-8")
    before = _state(service)
    with pytest.raises(DataError) as err:
        service.observations.import_csv(f, today=TODAY)
    assert f"line 2, column {column!r}" in str(err.value) and needle in str(err.value)
    _assert_unchanged(service, before)


@pytest.mark.parametrize(
    ("series", "period", "too_early", "first_day"),
    [
        ("exports_yoy", "2026-09", "2026-09-30", "2026-10-01"),
        ("balance_usd_bn", "2026-02", "2026-02-28", "2026-03-01"),  # the Jan-Feb figure
        ("kr_exports_yoy", "2026-10", "2026-10-31", "2026-11-01"),
        ("tw_exports_yoy", "2026-10", "2026-10-31", "2026-11-01"),
        ("kr_exports_first20d_yoy", "2026-11", "2026-11-20", "2026-11-21"),
        ("kr_exports_first10d_yoy", "2026-11", "2026-11-10", "2026-11-11"),
        ("cn_pmi_manufacturing", "2026-10", "2026-10-30", "2026-10-31"),
        ("vn_exports_yoy", "2026-10", "2026-10-26", "2026-10-27"),
    ],
)
def test_a_figure_released_before_it_can_exist_is_refused(
    service, tmp_path: Path, series: str, period: str, too_early: str, first_day: str
) -> None:
    value = "50.0" if SERIES[series].kind == "index" else "3.0"
    early = tmp_path / "early.csv"
    early.write_text(OBS + f"{series},{period},{value},{too_early},x\n")
    with pytest.raises(DataError, match=f"released before the figure can exist.*{first_day}"):
        service.observations.import_csv(early, today=TODAY)
    ok = tmp_path / "ok.csv"
    ok.write_text(OBS + f"{series},{period},{value},{first_day},x\n")
    assert service.observations.import_csv(ok, today=TODAY).added == 1


def test_release_rules_never_date_a_figure_before_it_can_exist() -> None:
    periods = pd.period_range("2000-01", "2030-12", freq="M")
    for spec in SERIES.values():
        if spec.release_rule is not None:
            assert all(spec.release_rule(p) >= spec.earliest_release(p) for p in periods), spec


@pytest.mark.parametrize(
    ("n", "ok"),
    [
        ("26", True),
        ("26.0", True),
        ("inf", False),
        ("nan", False),
        ("1e9", False),
        ("1_0", False),
        ("25.5", False),
        ("0", False),
        ("1001", False),
        ("９", False),
    ],
)
def test_n_economists_is_a_plain_whole_number(service, tmp_path: Path, n: str, ok: bool) -> None:
    f = tmp_path / "polls.csv"
    f.write_text(POLLS + f"exports_yoy,2026-11,4.0,reuters,{n},2026-11-20,x\n", encoding="utf-8")
    if ok:
        assert service.consensus.import_csv(f, today=TODAY).added == 1
        return
    with pytest.raises(DataError, match=r"line 2, column 'n_economists'.*whole number"):
        service.consensus.import_csv(f, today=TODAY)


def test_a_poll_dated_on_or_after_its_release_is_refused(service, tmp_path: Path) -> None:
    # the store: exports 2025-12 first released 2026-01-14
    late = tmp_path / "late.csv"
    late.write_text(POLLS + "exports_yoy,2025-12,3.0,wsj,,2026-01-14,after the print\n")
    before = _state(service)
    with pytest.raises(DataError, match=r"on or after the release.*2026-01-14"):
        service.consensus.import_csv(late, today=TODAY)
    _assert_unchanged(service, before)
    with pytest.raises(DataError, match="on or after the release"):
        service.consensus.add(
            target="exports_yoy",
            period="2025-12",
            value=3.0,
            source="wsj",
            polled_on=date(2026, 2, 1),
            today=TODAY,
        )
    eve = tmp_path / "eve.csv"
    eve.write_text(POLLS + "exports_yoy,2025-12,3.0,wsj,,2026-01-13,the day before\n")
    assert service.consensus.import_csv(eve, today=TODAY).added == 1


def test_a_poll_after_the_files_own_release_date_is_refused(service, tmp_path: Path) -> None:
    f = tmp_path / "polls.csv"
    with f.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*POLLS.strip().split(","), "release_date"])
        w.writerow(["exports_yoy", "2026-11", "4.0", "reuters", "", "2026-12-07", "", "2026-12-07"])
    with pytest.raises(DataError, match=r"line 2, column 'polled_on'.*on or after the release"):
        service.consensus.import_csv(f, today=date(2026, 12, 10))


def test_messages_are_plain_text_with_values_quoted(service, tmp_path: Path) -> None:
    (tmp_path / "a[").mkdir()
    f = tmp_path / "a[" / "x].csv"  # a file name with terminal markup in it: a[/x].csv
    f.write_text(OBS + "[bold]x[/bold],2026-09,3.0,2026-10-13,x\n")
    with pytest.raises(DataError) as err:
        service.observations.import_csv(f, today=TODAY)
    assert "column 'series'" in str(err.value) and "(value '[bold]x[/bold]')" in str(err.value)
    assert str(f) in str(err.value)
