"""Property: whatever a file holds, every importer either succeeds with a consistent store or
raises a DataError with the store's SQLite file byte-identical."""

from __future__ import annotations

import csv
import io
import math
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from forecasting.errors import DataError
from forecasting.series import SERIES

TODAY = date(2026, 11, 29)
PROPERTY = settings(
    max_examples=60,
    deadline=None,  # an import of target figures re-derives the USD levels (seconds)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OBS_COLUMNS = ["series", "period", "value", "released", "source"]
ONE_COLUMNS = ["period", "value", "unit", "source"]
POLL_COLUMNS = ["target", "period", "consensus", "source", "n_economists", "polled_on", "note"]
PUBLIC_COLUMNS = ["period", "indicator", "consensus", "poll", "n_economists", "release_date"]

# cells that are nearly right, exactly right, or wrong in the ways real files are
_cells = st.one_of(
    st.sampled_from(
        [
            "",
            "exports_yoy",
            "imports_yoy",
            "balance_usd_bn",
            "kr_exports_yoy",
            "cn_pmi_manufacturing",
            "gdp",
            "2026-09",
            "2026-10",
            "2024-01",
            "2019-01",
            "2026-13",
            "202609",
            "2026-10-13",
            "2026-11-01",
            "2026-09-30",
            "2027-01-01",
            "20261013",
            "2026-W41-2",
            "3.0",
            "-1.5",
            "50.1",
            "1_0",
            "inf",
            "nan",
            "１０",
            "250",
            "26",
            "0",
            "reuters",
            "bloomberg",
            "gallup",
            "index",
            "% y/y",
            "[/x]",
        ]
    ),
    st.text(max_size=12),
)


def _sqlite_bytes(db: Path) -> bytes:
    """The store file's bytes after folding any WAL content into it."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    return db.read_bytes()


def _consistent(service) -> None:  # noqa: ANN001
    obs = service.observations.frame()
    assert not obs.duplicated(["series", "period", "released"]).any()
    for r in obs.itertuples():
        spec = SERIES[r.series]
        assert math.isfinite(r.value) and spec.plausible(r.value) is None
        assert spec.earliest_release(__import__("pandas").Period(r.period, "M")) <= r.released
    polls = service.consensus.frame()
    assert not polls.duplicated(["target", "period", "source", "polled_on"]).any()
    assert polls["consensus"].map(math.isfinite).all()


def _check(service, path: Path, data: bytes, call: Callable[[Path], object]) -> None:  # noqa: ANN001
    db = Path(service.settings.service.database_url.removeprefix("sqlite:///"))
    path.write_bytes(data)
    before = _sqlite_bytes(db)
    try:
        result = call(path)
    except DataError as exc:
        event("refused")
        assert str(path) in str(exc)
        assert _sqlite_bytes(db) == before
        return
    event("imported: rows added" if result.added else "imported: nothing new")
    _consistent(service)


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _importers(service) -> dict[str, Callable[[Path], object]]:  # noqa: ANN001
    return {
        "observations": lambda p: service.observations.import_csv(p, today=TODAY),
        "single-series": lambda p: service.observations.import_csv(
            p, today=TODAY, series="cn_pmi_manufacturing"
        ),
        "consensus": lambda p: service.consensus.import_csv(p, today=TODAY),
    }


HEADERS = {"observations": OBS_COLUMNS, "single-series": ONE_COLUMNS, "consensus": POLL_COLUMNS}


@pytest.mark.parametrize("importer", ["observations", "single-series", "consensus"])
@PROPERTY
@given(data=st.binary(max_size=600), after_header=st.booleans())
def test_arbitrary_bytes(
    service, tmp_path: Path, importer: str, data: bytes, after_header: bool
) -> None:
    if after_header:  # past a valid header, so that the rows' reading is exercised too
        data = (",".join(HEADERS[importer]) + "\n").encode() + data
    _check(service, tmp_path / "in.csv", data, _importers(service)[importer])


_numbers = st.decimals(min_value=-60, max_value=60, places=1, allow_nan=False).map(str)
_VALID = {
    "series": st.sampled_from(["exports_yoy", "imports_yoy", "balance_usd_bn", "kr_exports_yoy"]),
    "target": st.sampled_from(["exports_yoy", "imports_yoy", "balance_usd_bn"]),
    "indicator": st.sampled_from(["exports_yoy", "imports_yoy"]),
    "period": st.sampled_from(["2026-09", "2026-10", "2026-11", "2025-12", "2026-08"]),
    "value": _numbers,
    "consensus": _numbers,
    "released": st.sampled_from(["2026-10-13", "2026-11-01", "2026-11-20", "2026-09-08"]),
    "release_date": st.sampled_from(["", "2026-11-07", "2026-12-07"]),
    "polled_on": st.sampled_from(["", "2026-10-01", "2026-11-05", "2026-11-25"]),
    "n_economists": st.sampled_from(["", "25", "31.0"]),
    "unit": st.just("index"),
    "poll": st.sampled_from(["reuters", "bloomberg"]),
}


def _valid_row(header: list[str]) -> st.SearchStrategy[list[str]]:
    """A row that is right cell by cell (it may still be refused as a whole, e.g. a
    conflict, a period that is not out yet or a PMI value on a y/y scale)."""
    cells = []
    for col in header:
        if col == "source" and "target" in header:
            cells.append(_VALID["poll"])
        elif col == "value" and "series" not in header:  # a PMI file
            cells.append(st.decimals(min_value=40, max_value=60, places=1).map(str))
        elif col == "period" and "series" not in header and "target" not in header:
            cells.append(st.sampled_from(["2025-01", "2025-06", "2026-09", "2026-10"]))
        else:
            cells.append(_VALID.get(col, st.text(max_size=8)))
    return st.tuples(*cells).map(list)


def _rows(columns: list[str]) -> st.SearchStrategy[tuple[list[str], list[list[str]]]]:
    """A header (the layout's columns, maybe shuffled, one dropped or doubled) and rows,
    each right cell by cell or made of arbitrary cells."""
    header = st.one_of(
        st.just(list(columns)),
        st.permutations(columns).flatmap(
            lambda cols: st.one_of(
                st.just(list(cols)),
                st.integers(0, len(cols) - 1).map(lambda i: [*cols[:i], *cols[i + 1 :]]),
                st.integers(0, len(cols) - 1).map(lambda i: [*cols, cols[i]]),
            )
        ),
    )
    return header.flatmap(
        lambda h: st.tuples(
            st.just(h),
            st.one_of(
                st.lists(_valid_row(h), max_size=4),
                st.lists(
                    st.one_of(
                        _valid_row(h),
                        st.lists(_cells, min_size=len(h) - 1, max_size=len(h) + 1),
                    ),
                    max_size=6,
                ),
            ),
        )
    )


@PROPERTY
@given(table=_rows(OBS_COLUMNS))
def test_arbitrary_observation_rows(service, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, tmp_path / "in.csv", _csv_bytes(*table), _importers(service)["observations"])


@PROPERTY
@given(table=_rows(ONE_COLUMNS))
def test_arbitrary_single_series_rows(service, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, tmp_path / "in.csv", _csv_bytes(*table), _importers(service)["single-series"])


@PROPERTY
@given(table=st.one_of(_rows(POLL_COLUMNS), _rows(PUBLIC_COLUMNS)))
def test_arbitrary_consensus_rows(service, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, tmp_path / "in.csv", _csv_bytes(*table), _importers(service)["consensus"])
