"""The calibration benchmark's quick mode: bundled data only, a tiny backtest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("project")
def test_quick_mode_reports_calibrated_rows(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import calibration_eval
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    result = calibration_eval.quick(tmp_path / "rel.png")
    out = capsys.readouterr().out
    assert "cov80_a" in out and "brier_after" in out
    assert "working-day difference" in out
    cal = result["calibrated"]["exports_yoy"]
    assert cal["calibrated"].any()
    assert (tmp_path / "rel.png").exists()
