from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.compare import scoreboard, surprise_probability
from forecasting.consensus import consensus_at
from forecasting.errors import DataError
from tests.conftest import SHARED

TODAY = date(2026, 11, 29)
STORE_HEADER = "target,period,consensus,source,n_economists,polled_on,note\n"


def test_snapshot_ships_the_sample_and_december_2025(service) -> None:
    assert service.consensus.value("exports_yoy", "2025-12") == 3.1
    assert service.consensus.value("imports_yoy", "2025-12") == 0.9
    assert service.consensus.value("exports_yoy", "2016-01") == -1.9


@pytest.mark.skipif(not (SHARED / "public").exists(), reason="shared data not present")
def test_public_layout_import_skips_rows_without_consensus(service) -> None:
    path = SHARED / "public" / "consensus_2016_2018.csv"
    before = service.consensus.frame()
    res = service.consensus.import_csv(path, today=TODAY)  # the snapshot holds the same polls
    sample = pd.read_csv(path)
    with_value = int(sample["consensus"].notna().sum())
    assert (res.added, res.unchanged, res.skipped) == (0, with_value, len(sample) - with_value)
    f = service.consensus.frame()
    assert len(f) == with_value + 2
    pd.testing.assert_frame_equal(f, before)


def test_store_layout_import_and_latest_poll_before_as_of(service, tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(
        STORE_HEADER
        + "exports_yoy,2026-11,4.0,reuters,30,2026-11-20,early poll\n"
        + "exports_yoy,2026-11,4.5,bloomberg,,2026-11-27,late poll\n"
    )
    added, skipped = service.consensus.import_csv(f, today=TODAY)
    assert (added, skipped) == (2, 0)
    assert service.consensus.value("exports_yoy", "2026-11") == 4.5
    assert service.consensus.value("exports_yoy", "2026-11", as_of=date(2026, 11, 25)) == 4.0
    assert service.consensus.value("exports_yoy", "2026-11", as_of=date(2026, 11, 20)) is None


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("gdp_yoy,2026-11,4.0,reuters,,,", "unknown target"),
        ("exports_yoy,2024-01,4.0,reuters,,,", "never released on its own"),
        ("exports_yoy,2026-11,four,reuters,,,", "not a number"),
        ("exports_yoy,2026-11,4.0,gallup,,,", "unknown poll source"),
        ("exports_yoy,2026-11,4.0,reuters,-3,,", "not a positive whole number"),
        ("exports_yoy,2026-11,4.0,reuters,,2027-01-01,", "in the future"),
        ("exports_yoy,2026-11,400,reuters,,,", "implausible"),
    ],
)
def test_bad_rows_name_the_line_and_write_nothing(
    service, tmp_path: Path, row: str, needle: str
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(STORE_HEADER + "imports_yoy,2026-11,1.0,reuters,,,fine\n" + row + "\n")
    before = service.consensus.frame()
    with pytest.raises(DataError) as err:
        service.consensus.import_csv(f, today=TODAY)
    assert "line 3" in str(err.value) and needle in str(err.value) and str(f) in str(err.value)
    pd.testing.assert_frame_equal(service.consensus.frame(), before)


def test_add_for_an_upcoming_period_and_duplicate(service) -> None:
    poll = {"target": "imports_yoy", "period": "2026-11", "source": "reuters", "today": TODAY}
    poll["polled_on"] = date(2026, 11, 28)
    service.consensus.add(**poll, value=2.0, n_economists=25)
    assert service.consensus.value("imports_yoy", "2026-11") == 2.0
    with pytest.raises(DataError, match="already in the consensus store"):
        service.consensus.add(**poll, value=2.5)


def test_consensus_at_prefers_bloomberg_on_the_same_day() -> None:
    f = pd.DataFrame(
        {
            "target": ["exports_yoy"] * 2,
            "period": ["2026-11"] * 2,
            "consensus": [1.0, 2.0],
            "source": ["bloomberg", "reuters"],
            "n_economists": [None, None],
            "polled_on": [None, None],
            "note": ["", ""],
        }
    )
    assert consensus_at(f)["consensus"].item() == 1.0


def test_surprise_probability() -> None:
    assert surprise_probability(3.0, 1.0, 5.0, 3.0) == pytest.approx(0.5)
    # consensus at the 80% interval's lower bound: P(actual > consensus) = 0.9
    assert surprise_probability(3.0, 1.0, 5.0, 1.0) == pytest.approx(0.9)
    assert surprise_probability(3.0, 1.0, 5.0, 5.0) == pytest.approx(0.1)


def test_scoreboard_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "period": ["a", "b", "c"],
            "model": ["m"] * 3,
            "yhat": [2.0, 0.0, 5.0],
            "yhat_lo_80": [1.0, -1.0, 4.0],
            "yhat_hi_80": [3.0, 1.0, 6.0],
            "actual": [3.0, -2.0, 4.0],
        }
    )
    cons = pd.Series({"a": 1.0, "b": 1.0, "c": 4.0})
    board = scoreboard(frame, cons)
    m, c = board.loc["m"], board.loc["consensus"]
    assert m["mae"] == pytest.approx((1 + 2 + 1) / 3)
    assert c["mae"] == pytest.approx((2 + 3 + 0) / 3)
    assert m["mae_ratio"] == pytest.approx(m["mae"] / c["mae"])
    assert m["win_rate"] == pytest.approx(2 / 3)  # a and b closer; c: consensus exact
    # direction: a: model above consensus, actual above -> hit; b: model below, actual below
    # -> hit; c: actual equals consensus -> not counted
    assert m["direction_hit"] == pytest.approx(1.0)
    p = surprise_probability(frame["yhat"], frame["yhat_lo_80"], frame["yhat_hi_80"], cons)
    assert m["brier"] == pytest.approx(np.mean((p - np.array([1, 0, 0])) ** 2))
    assert m["cov80"] == pytest.approx(2 / 3)  # b's actual -2 is below its band
    assert np.isnan(m["cov95"])  # no 95% band given


def test_ledger_appends_and_never_edits(service) -> None:
    rows = pd.DataFrame(
        {
            "target": ["exports_yoy"],
            "period": ["2026-11"],
            "as_of": [date(2026, 11, 29)],
            "model": ["naive"],
            "yhat": [5.0],
        }
    )
    service.ledger.append(rows, job_id="j1", origin="test")
    first = service.ledger.frame()
    service.ledger.append(rows.assign(yhat=6.0), job_id="j2", origin="test")
    both = service.ledger.frame()
    pd.testing.assert_frame_equal(both.iloc[:1], first)
    assert service.ledger.attach_run("j1", "run-a") == 1
    assert service.ledger.attach_run("j1", "run-b") == 0  # only empty run ids are filled
    assert service.ledger.frame()["mlflow_run_id"].tolist() == ["run-a", None]
