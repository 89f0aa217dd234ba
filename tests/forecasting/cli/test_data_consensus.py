"""``forecasting data`` and ``forecasting consensus``, in-process."""

from __future__ import annotations

from pathlib import Path


def test_show_as_of_and_bad_import_leaves_store_unchanged(
    project: Path, tmp_path: Path, cli
) -> None:
    shown = cli("data", "show", "--series", "exports_yoy")
    assert shown.code == 0, shown.stderr
    assert any("2025-12" in ln and " 6.6 " in ln for ln in shown.stdout.splitlines())
    early = cli("data", "show", "--series", "exports_yoy", "--as-of", "2026-01-13")
    assert early.code == 0 and "│ 2025-11 │" in early.stdout
    assert "│ 2025-12 │" not in early.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "series,period,value,released,source\n"
        "exports_yoy,2026-09,1.0,2026-10-13,ok\nexports_yoy,2026-10,n/a,2026-11-07,x\n"
    )
    before = cli("data", "show").stdout
    res = cli("data", "import", str(bad))
    assert res.code == 3
    assert "line 3" in res.stderr and "'value'" in res.stderr and "n/a" in res.stderr
    assert "Traceback" not in res.stderr
    assert cli("data", "show").stdout == before


def test_data_add_then_show(project: Path, cli) -> None:
    res = cli(
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
    assert res.code == 0, res.stderr
    assert "added 3 figure(s) for 2026-09" in res.stdout
    shown = cli("data", "show", "--series", "exports_yoy").stdout
    assert any("2026-09" in ln and " 7.5 " in ln for ln in shown.splitlines())
    assert any("2026-08" in ln and " 25.0 " in ln for ln in shown.splitlines())
    # the same figure typed twice: already stored, not an error
    again = cli(
        "data", "add", "--period", "2026-09", "--exports-yoy", "7.5", "--released", "2026-10-13"
    )
    assert again.code == 0 and "already stored" in again.stdout, again.stderr
    conflict = cli(
        "data", "add", "--period", "2026-09", "--exports-yoy", "8.0", "--released", "2026-10-13"
    )
    assert conflict.code == 3 and "already in the store with another value" in conflict.stderr
    assert cli("data", "show", "--series", "exports_yoy").stdout == shown


def test_consensus_import_add_and_list(project: Path, tmp_path: Path, cli) -> None:
    polls = tmp_path / "later.csv"
    polls.write_text(
        "period,indicator,consensus,poll,n_economists,actual,release_date,url,note\n"
        "2024-03,exports_yoy,-2.3,reuters,,,2024-04-12,u,\n"
        "2024-04,exports_yoy,1.0,reuters,,,2024-05-09,u,\n"
        "2024-05,exports_yoy,5.7,reuters,,,2024-06-07,u,\n"
        "2024-05,balance_usd_bn,,,,,2024-06-07,u,no poll\n"
    )
    res = cli("consensus", "import", str(polls))
    assert res.code == 0, res.stderr
    assert "imported 3 poll(s)" in res.stdout and "skipped 1 row(s)" in res.stdout
    bad = cli(
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
    assert bad.code == 3 and "never released on its own" in bad.stderr
    listed = cli("consensus", "list", "--target", "exports_yoy")
    assert "2024-05" in listed.stdout and "2024-01" not in listed.stdout
