from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import DataError
from forecasting.observations import information_set, target_history

TODAY = date(2026, 11, 29)
HEADER = "series,period,value,released,source\n"


def _obs(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(s, p, v, date.fromisoformat(r), "test") for s, p, v, r in rows],
        columns=["series", "period", "value", "released", "source"],
    )


def test_information_set_is_strictly_before_as_of_and_takes_latest_vintage() -> None:
    obs = _obs(
        [
            ("exports_yoy", "2025-11", 5.9, "2025-12-08"),
            ("exports_yoy", "2025-12", 6.6, "2026-01-14"),
            ("exports_yoy", "2025-12", 6.8, "2026-02-20"),  # a revision
        ]
    )
    before = obs.copy()
    assert "2025-12" not in set(information_set(obs, date(2026, 1, 14))["period"])
    first = information_set(obs, date(2026, 1, 15))
    assert first.set_index("period").loc["2025-12", "value"] == 6.6
    revised = information_set(obs, date(2026, 3, 1))
    assert revised.set_index("period").loc["2025-12", "value"] == 6.8
    pd.testing.assert_frame_equal(obs, before)  # pure


def test_target_history_is_a_contiguous_monthly_series_with_gaps() -> None:
    obs = _obs(
        [
            ("exports_yoy", "2019-12", 7.6, "2020-01-14"),
            ("exports_yoy", "2020-02", -17.2, "2020-03-07"),
        ]
    )
    h = target_history(information_set(obs, TODAY), "exports_yoy")
    assert list(h.index.astype(str)) == ["2019-12", "2020-01", "2020-02"]
    assert pd.isna(h.loc[pd.Period("2020-01", "M")])


def test_snapshot_is_loaded_once_with_first_release_figures(service) -> None:
    latest = service.observations.latest().set_index(["series", "period"])["value"]
    assert latest[("exports_yoy", "2025-12")] == 6.6
    assert latest[("imports_yoy", "2025-12")] == 5.7
    assert latest[("exports_yoy", "2014-01")] == 10.6  # from the extra file
    assert ("exports_yoy", "2024-01") not in latest.index  # Jan-Feb combined from 2020
    n = len(service.observations.frame())
    from forecasting.service import open_service

    again = open_service(service.settings)
    assert len(again.observations.frame()) == n  # not loaded twice


def test_revision_is_a_new_row_never_an_overwrite(service, tmp_path: Path) -> None:
    f = tmp_path / "rev.csv"
    f.write_text(HEADER + "exports_yoy,2025-12,6.9,2026-02-15,revision\n")
    assert service.observations.import_csv(f, today=TODAY).added == 1
    rows = service.observations.frame().query("series == 'exports_yoy' and period == '2025-12'")
    assert sorted(rows["value"]) == [6.6, 6.9]
    assert (
        service.observations.information_set(date(2026, 2, 1))
        .query("series == 'exports_yoy' and period == '2025-12'")["value"]
        .item()
        == 6.6
    )


@pytest.mark.parametrize(
    ("line", "column", "needle"),
    [
        ("exports_yoy,2026-09,abc,2026-10-13,x", "value", "not a number"),
        ("exports_yoy,2026-6,3.0,2026-10-13,x", "period", "malformed period"),
        ("exports_yoy,2026-13,3.0,2026-10-13,x", "period", "malformed period"),
        ("gdp_yoy,2026-09,3.0,2026-10-13,x", "series", "unknown series"),
        ("exports_yoy,2026-09,3.0,2027-10-13,x", "released", "in the future"),
        ("exports_yoy,2026-09,3.0,14/07/2026,x", "released", "malformed date"),
        ("exports_yoy,2026-09,250,2026-10-13,x", "value", "implausible"),
        ("exports_usd_bn,2026-09,-3,2026-10-13,x", "value", "negative level"),
        ("exports_yoy,2026-09,,2026-10-13,x", "value", "missing value"),
        ("imports_yoy,2024-01,3.0,2024-03-07,x", "period", "combined with February"),
    ],
)
def test_bad_rows_name_file_line_column_value_and_write_nothing(
    service, tmp_path: Path, line: str, column: str, needle: str
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + "balance_usd_bn,2026-09,100.0,2026-10-13,ok\n" + line + "\n")
    before = service.observations.frame()
    with pytest.raises(DataError) as err:
        service.observations.import_csv(f, today=TODAY)
    msg = str(err.value)
    assert str(f) in msg and "line 3" in msg and f"column {column!r}" in msg and needle in msg
    assert "line 2" not in msg  # the good row is fine...
    pd.testing.assert_frame_equal(service.observations.frame(), before)  # ...and not written


def test_duplicates_in_file_and_against_store(service, tmp_path: Path) -> None:
    f = tmp_path / "dup.csv"
    f.write_text(
        HEADER + "exports_yoy,2026-09,3.0,2026-10-13,a\nexports_yoy,2026-09,3.1,2026-10-13,b\n"
    )
    with pytest.raises(
        DataError, match=r"line 3.*duplicate \(series, period, released\) of line 2"
    ):
        service.observations.import_csv(f, today=TODAY)
    g = tmp_path / "dup2.csv"
    g.write_text(HEADER + "exports_yoy,2025-12,6.7,2026-01-14,another value\n")
    with pytest.raises(DataError, match="line 2.*already in the store with another value"):
        service.observations.import_csv(g, today=TODAY)


def test_missing_column_and_missing_file(service, tmp_path: Path) -> None:
    f = tmp_path / "cols.csv"
    f.write_text("series,period,value\nexports_yoy,2026-06,3.0\n")
    with pytest.raises(DataError, match=r"line 1: missing column\(s\) \['released', 'source'\]"):
        service.observations.import_csv(f, today=TODAY)
    with pytest.raises(DataError, match="file not found"):
        service.observations.import_csv(tmp_path / "none.csv", today=TODAY)


def test_single_series_import_uses_the_release_rule(service, tmp_path: Path) -> None:
    f = tmp_path / "kr.csv"
    f.write_text(
        "period,value,unit,source\n"
        '2026-10,53.4,"% y/y (USD, NSA)",test\n'
        '2025-12,99.0,"% y/y (USD, NSA)",revised\n'  # the bundled first release is kept
    )
    res = service.observations.import_csv(f, today=TODAY, series="kr_exports_yoy")
    assert (res.added, res.unchanged, res.skipped) == (1, 0, 1)
    rows = service.observations.frame().query("series == 'kr_exports_yoy'")
    assert rows.query("period == '2026-10'")["released"].item() == date(2026, 11, 1)
    assert 99.0 not in set(rows["value"])
    g = tmp_path / "pmi.csv"
    g.write_text("period,value,unit,source\n2026-02,49.0,% y/y,test\n")
    with pytest.raises(DataError, match="line 2, column 'unit'.*does not match"):
        service.observations.import_csv(g, today=TODAY, series="cn_pmi_manufacturing")
