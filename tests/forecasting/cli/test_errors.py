"""The one error boundary: usage errors are usage messages (exit 2), expected failures one
line with their exit code, user text printed literally; no traceback without --debug."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ("data", "add"),  # required options missing
        ("no-such-command",),
        ("data", "add", "--period", "2026-06", "--released", "2026-07-14", "--exports-yoy", "abc"),
        ("backtest", "--target", "exports_yoy"),
        ("forecast", "--json", "--nope"),
    ],
)
def test_usage_errors_are_usage_messages(project: Path, cli, args) -> None:
    res = cli(*args)
    assert res.code == 2, (res.stdout, res.stderr)
    assert "Usage:" in res.stderr and "Traceback" not in res.stderr


def test_markup_in_user_text_is_printed_literally(project: Path, tmp_path: Path, cli) -> None:
    (tmp_path / "a[").mkdir()
    (tmp_path / "b[").mkdir()
    bad = tmp_path / "a[" / "x].csv"  # the path reads a[/x].csv
    bad.write_text(
        "series,period,value,released,source\nexports_yoy,2026-09,[/x],2026-10-13,[bold]s\n"
    )
    res = cli("data", "import", str(bad))
    assert res.code == 3 and "[/x]" in res.stderr and "a[/x].csv" in res.stderr
    good = tmp_path / "b[" / "x].csv"
    good.write_text(
        "series,period,value,released,source\nexports_yoy,2026-09,1.5,2026-10-13,[/x]\n"
    )
    ok = cli("data", "import", str(good))
    assert ok.code == 0 and "b[/x].csv" in ok.stdout, ok.stderr
    shown = cli("data", "show", "--series", "exports_yoy")
    assert shown.code == 0 and "[/x]" in shown.stdout


def test_debug_shows_the_traceback(project: Path, cli) -> None:
    plain = cli("forecast", "--target", "gdp")
    assert plain.code == 3 and "Traceback" not in plain.stderr
    debug = cli("--debug", "forecast", "--target", "gdp")
    assert debug.code == 3 and "Traceback" in debug.stderr


def test_version(cli) -> None:
    res = cli("--version")
    assert res.code == 0 and res.stdout.startswith("forecasting ")
