"""Every benchmark script runs in its quick mode (seconds), so none can rot unnoticed.

Each runs in this process (the imports are shared) with the environment it changes restored
afterwards. Those that read ``../shared/data/reference`` (or ``../shared/data/public``) are
skipped where it is absent. Some scripts have their own test module beside this one
(``test_calibration_eval.py``, ...).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
REFERENCE = REPO.parent / "shared" / "data" / "reference"
PUBLIC = REPO.parent / "shared" / "data" / "public"
#: what the scripts set in the environment (restored after each test)
TOUCHED = (
    "FORECASTING_CONFIG",
    "FORECASTING_DATABASE_URL",
    "MLFLOW_TRACKING_URI",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
)
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"no {REFERENCE}")


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a loader
    """``script(name)``: the benchmark module, loaded afresh; the environment it changes is
    put back after the test."""
    import os

    for name in TOUCHED:
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.syspath_prepend(str(REPO))

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)  # worker processes pickle by name
        spec.loader.exec_module(module)
        return module

    return load


def test_every_benchmark_has_a_quick_mode_and_a_test() -> None:
    tests = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    for path in sorted(BENCHMARKS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"quick", text), f"{path.name} has no quick mode"
        assert path.stem in tests, f"{path.name} has no quick-mode test"


@pytest.mark.skipif(not PUBLIC.is_dir(), reason=f"no {PUBLIC}")
def test_model_speed(script, capsys: pytest.CaptureFixture[str]) -> None:
    assert script("model_speed").main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.strip()}
    assert {"naive", "dynreg", "ensemble"} <= set(rows)
    # naive: a fit time, an exports MAE and an 80% coverage for both targets, no failure
    fit_s, _, ex_mae, ex_cov, im_mae, im_cov, fails = rows["naive"]
    assert float(fit_s) > 0 and float(ex_mae) >= 0 and 0 <= float(ex_cov) <= 1
    assert float(im_mae) >= 0 and 0 <= float(im_cov) <= 1 and fails == "0"
    assert rows["dynreg"][-1] == "0"  # the nowcast model forecasts every origin


def test_backtest_speed(script, capsys: pytest.CaptureFixture[str]) -> None:
    script("backtest_speed").main(["--quick"])
    out = capsys.readouterr().out
    assert "wall time, 1 target(s), 3 models" in out
    assert re.search(r"exports_yoy\s+2\s", out)  # two origins
    assert re.search(r"dynreg\s+[0-9.]+ s/origin", out)


def test_seasonal_ratio_eval(script, capsys: pytest.CaptureFixture[str]) -> None:
    script("seasonal_ratio_eval").main(["--quick"])
    out = capsys.readouterr().out
    assert out.count("<- default") == 2  # one table per target
    assert re.search(r"exports_yoy 2025-09\.\.\S+, \d+ origins: naive MAE [0-9.]+", out)


def test_levels_eval(script, capsys: pytest.CaptureFixture[str]) -> None:
    script("levels_eval").main(["--quick"])
    out = capsys.readouterr().out
    assert "1. leave one period out, real time" in out and "full information" not in out
    assert re.search(r"5\. derive_levels: \d+ rows for \d+ levels", out)


def test_member_variants(script, tmp_path: Path) -> None:
    import pandas as pd

    assert script("member_variants").main(["--quick", "--dir", str(tmp_path)]) == 0
    rows = pd.read_csv(tmp_path / "variants_exports_yoy.csv", dtype={"period": str})
    assert set(rows["variant"]) == {"dynreg+cal", "dynreg-cal"}
    assert set(rows["period"]) == {"2025-11", "2025-12"} and rows["yhat"].notna().all()


def test_stage_speed(script, project: Path) -> None:
    from forecasting.service import open_service

    open_service()  # the snapshot loaded once, as in a store in use
    result = script("stage_speed").quick(project / "bench", store=project)
    stages = result["stages"]["stages"]
    for stage in ("data", "inputs", "fit dynreg", "fit naive", "combination", "tracking"):
        assert stages.get(stage, 0.0) > 0, stage
    assert result["stages"]["origins"] == 2
    assert result["wall"][0]["wall"] > result["wall"][0]["tracking"] > 0
    assert result["identical"], result["detail"]


@needs_reference
def test_calibration_backtests(script, tmp_path: Path) -> None:
    import pandas as pd

    module = script("calibration_backtests")
    assert module.main(["--quick", "--out-dir", str(tmp_path)]) == 0
    frame = pd.read_csv(tmp_path / "backtest_exports_yoy.csv", dtype={"period": str})
    assert set(frame["model"]) == {"naive", "dynreg", "ensemble"}
    assert set(frame["period"]) == {"2025-11", "2025-12"} and frame["yhat"].notna().all()
    obs = pd.read_csv(tmp_path / "observations.csv")
    assert set(module.QUICK_INDICATORS) <= set(obs["series"])


@needs_reference
def test_nowcast_eval(script, capsys: pytest.CaptureFixture[str]) -> None:
    assert script("nowcast_eval").main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "2 origins (2026-01 .. latest, both targets)" in out
    assert re.search(r"imports_yoy naive\s+[0-9.]+", out) and "wall time" in out


@needs_reference
def test_presample_eval(script, capsys: pytest.CaptureFixture[str]) -> None:
    script("presample_eval").main(["--quick"])
    out = capsys.readouterr().out
    assert "exports_yoy 2018-11..2018-12 (2 months" in out
    assert "combination grid (MAE)" in out and "best cell on the sum of both targets" in out


@needs_reference
def test_balance_eval(script, capsys: pytest.CaptureFixture[str]) -> None:
    script("balance_eval").main(["--quick"])
    out = capsys.readouterr().out
    assert "balance 2025-10..2025-12, first-release actuals:" in out
    assert "surplus projection before the year is complete" in out
    assert "mean absolute error of the projection by months released" in out


def test_job_speed(script, capsys: pytest.CaptureFixture[str]) -> None:
    assert script("job_speed").main(["--quick"]) == 0
    out = capsys.readouterr().out
    line = r"(?m)^(cold|again|before release|after release) +[\d.]+ +exports_yoy (\d+)/(\d+)$"
    found = re.findall(line, out)
    cases = {case: (int(fitted), int(reused)) for case, fitted, reused in found}
    assert list(cases) == ["cold", "again", "before release", "after release"], out
    assert cases["cold"][0] > 0 and cases["cold"][1] == 0  # a new project fits every origin
    assert cases["again"] == (0, cases["cold"][0])  # the same data: none refitted
    assert cases["after release"][0] == 1  # one new origin after a release
    # the window moves on by a month: its first origin leaves it, the others are reused
    assert cases["after release"][1] == cases["before release"][0] - 1
    assert "failed" not in out
