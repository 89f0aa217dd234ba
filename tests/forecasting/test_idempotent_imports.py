"""Importing what is already stored is not an error; a conflicting figure still refuses the file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import DataError
from tests.conftest import SHARED

TODAY = date(2026, 11, 29)
OBS = "series,period,value,released,source\n"
POLLS = "target,period,consensus,source,n_economists,polled_on,note\n"
NEW_OBS = (
    "exports_yoy,2026-09,7.5,2026-10-13,typed\n"
    "imports_yoy,2026-09,-1.2,2026-10-13,typed\n"
    "exports_yoy,2025-12,6.6,2026-01-14,the bundled first release again\n"
)


def test_observations_imported_twice(service, tmp_path: Path) -> None:
    f = tmp_path / "obs.csv"
    f.write_text(OBS + NEW_OBS)
    first = service.observations.import_csv(f, today=TODAY)
    assert (first.added, first.unchanged, first.skipped) == (2, 1, 0)
    stored = service.observations.frame()
    again = service.observations.import_csv(f, today=TODAY)
    assert (again.added, again.unchanged, again.skipped) == (0, 3, 0)
    pd.testing.assert_frame_equal(service.observations.frame(), stored)


def test_one_conflicting_row_refuses_the_whole_file(service, tmp_path: Path) -> None:
    before = service.observations.frame()
    f = tmp_path / "obs.csv"
    f.write_text(OBS + NEW_OBS + "exports_yoy,2025-11,6.0,2025-12-08,another figure\n")
    with pytest.raises(DataError) as err:
        service.observations.import_csv(f, today=TODAY)
    msg = str(err.value)
    assert "1 problem(s)" in msg and "line 5, column 'value'" in msg
    assert "already in the store with another value (5.9" in msg
    pd.testing.assert_frame_equal(service.observations.frame(), before)  # the new rows too


def test_data_add_of_the_same_figure_is_unchanged(service) -> None:
    row = pd.DataFrame(
        [{"series": "exports_yoy", "period": "2026-09", "value": 7.5, "released": "2026-10-13"}]
    ).assign(source="typed")
    assert service.observations.add_frame(row, today=TODAY, where="data add").added == 1
    res = service.observations.add_frame(row.assign(source="typed again"), today=TODAY, where="x")
    assert (res.added, res.unchanged) == (0, 1)
    with pytest.raises(DataError, match="data add, line 1, column 'value'"):
        service.observations.add_frame(row.assign(value=7.6), today=TODAY, where="data add")


def test_single_series_imported_twice(service, tmp_path: Path) -> None:
    f = tmp_path / "pmi.csv"
    f.write_text(
        "period,value,unit,source\n2026-09,49.8,index,NBS\n2026-10,50.1,index,NBS\n",
    )
    first = service.observations.import_csv(f, today=TODAY, series="cn_pmi_manufacturing")
    assert (first.added, first.unchanged, first.skipped) == (2, 0, 0)
    stored = service.observations.frame()
    again = service.observations.import_csv(f, today=TODAY, series="cn_pmi_manufacturing")
    assert (again.added, again.unchanged, again.skipped) == (0, 2, 0)
    pd.testing.assert_frame_equal(service.observations.frame(), stored)


@pytest.mark.skipif(not (SHARED / "public").exists(), reason="shared public data not present")
def test_public_poll_file_imported_twice_changes_nothing(service) -> None:
    path = SHARED / "public" / "consensus_2016_2018.csv"
    before = service.consensus.frame()
    first = service.consensus.import_csv(path, today=TODAY)  # the snapshot holds these polls
    second = service.consensus.import_csv(path, today=TODAY)
    assert first == second and first.added == 0 and first.unchanged > 100
    pd.testing.assert_frame_equal(service.consensus.frame(), before)


@pytest.mark.skipif(not (SHARED / "public").exists(), reason="shared public data not present")
def test_public_poll_file_with_one_changed_value_is_refused_whole(service, tmp_path: Path) -> None:
    lines = (SHARED / "public" / "consensus_2016_2018.csv").read_text().splitlines()
    row = lines[1].split(",")  # 2016-01 exports_yoy -1.9 reuters
    row[2] = "-2.0"
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    before = service.consensus.frame()
    with pytest.raises(DataError, match=r"line 2: .*already in the consensus store with another"):
        service.consensus.import_csv(changed, today=TODAY)
    pd.testing.assert_frame_equal(service.consensus.frame(), before)


def test_store_layout_polls_imported_twice_and_added_twice(service, tmp_path: Path) -> None:
    f = tmp_path / "polls.csv"
    f.write_text(
        POLLS
        + "exports_yoy,2026-11,4.0,reuters,30,2026-11-20,early\n"
        + "imports_yoy,2026-11,1.0,bloomberg,,,undated\n"
    )
    assert service.consensus.import_csv(f, today=TODAY).added == 2
    again = service.consensus.import_csv(f, today=TODAY)
    assert (again.added, again.unchanged) == (0, 2)
    poll = {"target": "exports_yoy", "period": "2026-11", "source": "reuters", "today": TODAY}
    same = service.consensus.add(**poll, value=4.0, n_economists=30, polled_on=date(2026, 11, 20))
    assert (same.added, same.unchanged) == (0, 1)
    with pytest.raises(DataError, match="already in the consensus store"):
        service.consensus.add(**poll, value=4.0, polled_on=date(2026, 11, 20))  # n differs


def test_result_still_unpacks_as_added_and_skipped(service, tmp_path: Path) -> None:
    f = tmp_path / "polls.csv"
    f.write_text(POLLS + "exports_yoy,2026-11,4.0,reuters,,,\nimports_yoy,2026-11,,reuters,,,\n")
    added, skipped = service.consensus.import_csv(f, today=TODAY)
    assert (added, skipped) == (1, 1)


@pytest.mark.skipif(not (SHARED / "public").exists(), reason="shared public data not present")
def test_cli_imports_twice_exit_0_and_a_conflict_exits_3(project: Path, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    polls = SHARED / "public" / "consensus_2016_2018.csv"
    listed = run_cli("consensus", "list").stdout
    for _ in range(2):
        res = run_cli("consensus", "import", str(polls))
        assert res.returncode == 0, res.stderr
    assert run_cli("consensus", "list").stdout == listed
    lines = polls.read_text().splitlines()
    changed = tmp_path / "changed.csv"
    changed.write_text("\n".join([lines[0], lines[1].replace(",-1.9,", ",-2.0,"), *lines[2:]]))
    res = run_cli("consensus", "import", str(changed))
    assert res.returncode == 3 and "line 2" in res.stderr and "Traceback" not in res.stderr
    assert run_cli("consensus", "list").stdout == listed

    obs = tmp_path / "obs.csv"
    obs.write_text(OBS + NEW_OBS)
    assert run_cli("data", "import", str(obs)).returncode == 0
    shown = run_cli("data", "show").stdout
    again = run_cli("data", "import", str(obs))
    assert again.returncode == 0, again.stderr
    assert run_cli("data", "show").stdout == shown
