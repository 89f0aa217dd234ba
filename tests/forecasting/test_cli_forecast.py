from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def test_consensus_import_compare_and_bad_rows(project: Path, tmp_path: Path) -> None:
    polls = tmp_path / "later.csv"
    polls.write_text(
        "period,indicator,consensus,poll,n_economists,actual,release_date,url,note\n"
        "2024-03,exports_yoy,-2.3,reuters,,,2024-04-12,u,\n"
        "2024-04,exports_yoy,1.0,reuters,,,2024-05-09,u,\n"
        "2024-05,exports_yoy,5.7,reuters,,,2024-06-07,u,\n"
        "2024-05,balance_usd_bn,,,,,2024-06-07,u,no poll\n"
    )
    res = run_cli("consensus", "import", str(polls))
    assert res.returncode == 0, res.stderr
    assert "imported 3 poll(s)" in res.stdout and "skipped 1 row(s)" in res.stdout
    cmp = run_cli(
        "compare",
        "--target",
        "exports_yoy",
        "--start",
        "2024-01",
        "--end",
        "2024-12",
        "--models",
        "naive,ridge_ar",
        "--json",
    )
    assert cmp.returncode == 0, cmp.stderr
    board = {r["model"]: r for r in json.loads(cmp.stdout)["scoreboard"]}
    assert set(board) == {"naive", "ridge_ar", "consensus"}
    # consensus errors: |-2.3 - -7.5|, |1.0 - 1.5|, |5.7 - 7.6|
    assert abs(board["consensus"]["mae"] - (5.2 + 0.5 + 1.9) / 3) < 1e-9
    assert board["naive"]["n"] == 3

    bad = run_cli(
        "consensus",
        "add",
        "--target",
        "exports_yoy",
        "--period",
        "2024-01",
        "--value",
        "3",
        "--source",
        "reuters",
    )
    assert bad.returncode == 3 and "never released on its own" in bad.stderr
    listed = run_cli("consensus", "list", "--target", "exports_yoy")
    assert "2024-05" in listed.stdout and "2024-01" not in listed.stdout


def test_forecast_json_ledger_and_edge_cases(project: Path) -> None:
    res = run_cli(
        "forecast", "--target", "exports_yoy", "--models", "naive,ridge_ar,ensemble", "--json"
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["target"] == "exports_yoy" and out["ensemble"]["model"] == "ensemble"
    assert {m["model"] for m in out["models"]} == {"naive", "ridge_ar", "ensemble"}
    assert out["missing_periods"][0] == "2026-09"  # the snapshot ends at 2026-08
    ledger = run_cli("ledger", "--target", "exports_yoy")
    assert "forecast ledger (3 rows)" in ledger.stdout

    done = run_cli("forecast", "--target", "exports_yoy", "--period", "2025-12")
    assert done.returncode == 3 and "already released on 2026-01-14" in done.stderr
    assert "+6.6" in done.stderr
    eve = run_cli(
        "forecast",
        "--target",
        "imports_yoy",
        "--as-of",
        "2026-01-13",
        "--models",
        "naive,ridge_ar,ensemble",
    )
    assert eve.returncode == 0, eve.stderr
    assert "consensus: +0.9" in eve.stdout and "P(beat)" in eve.stdout
    assert "not recorded in the ledger" in eve.stdout  # a look back is not a track record
    assert "forecast ledger (3 rows)" in run_cli("ledger").stdout

    early = run_cli("score", "--period", "2026-09")
    assert early.returncode == 3 and "not in the store yet" in early.stderr
    unknown = run_cli("forecast", "--target", "exports_yoy", "--models", "nosuch")
    assert unknown.returncode == 4 and "known models" in unknown.stderr
