from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli


def test_version() -> None:
    out = run_cli("--version")
    assert out.returncode == 0 and "forecasting" in out.stdout


def test_show_as_of_and_bad_import_leaves_store_unchanged(project: Path, tmp_path: Path) -> None:
    shown = run_cli("data", "show", "--series", "exports_yoy")
    assert shown.returncode == 0, shown.stderr
    assert any("2025-12" in ln and " 6.6 " in ln for ln in shown.stdout.splitlines())
    imp = run_cli("data", "show", "--series", "imports_yoy")
    assert any("2025-12" in ln and " 5.7 " in ln for ln in imp.stdout.splitlines())
    early = run_cli("data", "show", "--series", "exports_yoy", "--as-of", "2026-01-13")
    assert early.returncode == 0 and "│ 2025-11 │" in early.stdout
    assert "│ 2025-12 │" not in early.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "series,period,value,released,source\n"
        "exports_yoy,2026-06,1.0,2026-07-14,ok\nexports_yoy,2026-07,n/a,2026-08-07,x\n"
    )
    before = run_cli("data", "show").stdout
    res = run_cli("data", "import", str(bad))
    assert res.returncode == 3
    assert "line 3" in res.stderr and "'value'" in res.stderr and "n/a" in res.stderr
    assert run_cli("data", "show").stdout == before


def test_data_add_then_show(project: Path) -> None:
    res = run_cli(
        "data",
        "add",
        "--period",
        "2026-09",
        "--exports-yoy",
        "7.5",
        "--imports-yoy",
        "-1.2",
        "--balance",
        "110.5",
        "--released",
        "2026-10-13",
    )
    assert res.returncode == 0, res.stderr
    shown = run_cli("data", "show", "--series", "exports_yoy").stdout
    assert any("2026-09" in ln and " 7.5 " in ln for ln in shown.splitlines())
    again = run_cli(  # the same figure typed twice: already stored, not an error
        "data", "add", "--period", "2026-09", "--exports-yoy", "7.5", "--released", "2026-10-13"
    )
    assert again.returncode == 0, again.stderr
    other = run_cli(
        "data", "add", "--period", "2026-09", "--exports-yoy", "7.6", "--released", "2026-10-13"
    )
    assert other.returncode == 3 and "already in the store with another value" in other.stderr
    assert run_cli("data", "show", "--series", "exports_yoy").stdout == shown


def test_backtest_refuses_a_negative_warmup_before_any_work(project: Path) -> None:
    res = run_cli(
        "backtest",
        "--target",
        "exports_yoy",
        "--start",
        "2024-01",
        "--end",
        "2024-06",
        "--warmup",
        "-1",
    )
    assert res.returncode == 3, res.stderr
    assert "--warmup: -1 is negative" in res.stdout + res.stderr
    assert "Traceback" not in res.stderr
