"""Property, through the ``forecasting`` entry point (its error boundary included): whatever a
file holds, every importer exits 0 with a consistent store, or exits 3 with one message and
the store's file byte-identical; never a traceback, never another exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.forecasting.test_import_properties import (
    HEADERS,
    OBS_COLUMNS,
    ONE_COLUMNS,
    POLL_COLUMNS,
    PUBLIC_COLUMNS,
    _consistent,
    _csv_bytes,
    _rows,
    _sqlite_bytes,
)

PROPERTY = settings(
    max_examples=50,
    deadline=None,  # an import of target figures re-derives the USD levels (seconds)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COMMANDS = {
    "observations": ("data", "import"),
    "single-series": ("data", "import", "--series", "cn_pmi_manufacturing"),
    "consensus": ("consensus", "import"),
}


def _check(service, cli, path: Path, data: bytes, importer: str) -> None:  # noqa: ANN001
    db = Path(service.settings.service.database_url.removeprefix("sqlite:///"))
    path.write_bytes(data)
    before = _sqlite_bytes(db)
    res = cli(*COMMANDS[importer], str(path))
    assert "Traceback" not in res.stdout + res.stderr
    assert res.code in (0, 3), res.stderr
    if res.code == 3:
        event("refused")
        assert res.stderr.startswith("error: ") and str(path) in res.stderr
        assert _sqlite_bytes(db) == before
        return
    event("imported")
    _consistent(service)


@pytest.mark.parametrize("importer", list(COMMANDS))
@PROPERTY
@given(data=st.binary(max_size=600), after_header=st.booleans())
def test_arbitrary_bytes_through_the_cli(
    service, cli, tmp_path: Path, importer: str, data: bytes, after_header: bool
) -> None:
    if after_header:
        data = (",".join(HEADERS[importer]) + "\n").encode() + data
    _check(service, cli, tmp_path / "in.csv", data, importer)


@PROPERTY
@given(table=_rows(OBS_COLUMNS))
def test_arbitrary_observation_rows_through_the_cli(service, cli, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, cli, tmp_path / "in.csv", _csv_bytes(*table), "observations")


@PROPERTY
@given(table=_rows(ONE_COLUMNS))
def test_arbitrary_series_rows_through_the_cli(service, cli, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, cli, tmp_path / "in.csv", _csv_bytes(*table), "single-series")


@PROPERTY
@given(table=st.one_of(_rows(POLL_COLUMNS), _rows(PUBLIC_COLUMNS)))
def test_arbitrary_poll_rows_through_the_cli(service, cli, tmp_path: Path, table) -> None:  # noqa: ANN001
    _check(service, cli, tmp_path / "in.csv", _csv_bytes(*table), "consensus")
