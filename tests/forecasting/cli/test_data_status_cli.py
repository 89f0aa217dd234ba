"""``forecasting data status`` and ``forecasting last-release`` in-process: the overdue periods
and the lines to type, which, typed with values, bring the store up to date."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from forecasting.config import load_settings
from forecasting.service import open_service
from forecasting.snapshot_loader import snapshot_version
from tests.conftest import FAST_YOY

DAY = "2026-12-03"


def test_status_names_the_overdue_periods_and_the_lines(project: Path, cli) -> None:
    result = cli("data", "status", "--today", DAY)
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "data status on 2026-12-03" in out and "OVERDUE: 2026-09" in out
    assert (
        f"bundled data snapshot {snapshot_version()}; store loaded from {snapshot_version()}" in out
    )
    cal = open_service(load_settings()).calendar()
    for period in ("2026-09", "2026-10"):
        line = (
            f"forecasting data add --period {period} --exports-yoy <value> --imports-yoy "
            f"<value> --balance <value> --released {cal.release(period).date}"
        )
        assert line in out
    assert "forecasting data add --series kr_exports_yoy --period 2026-10 --value <value>" in out
    assert "forecasting consensus add --target exports_yoy --period 2026-11 --value <value>" in out
    assert "Or drop CSV files into the inbox: " in out
    bad = cli("data", "status", "--today", "2026-13-01")
    assert bad.code == 3 and "--today: '2026-13-01' is not a date" in bad.stderr


def test_the_lines_typed_with_values_clear_what_was_overdue(project: Path, cli) -> None:
    status = json.loads(cli("data", "status", "--json", "--today", DAY).stdout)
    lines = [ln for ln in status["lines"] if " import " not in ln]  # a file import needs a file
    assert lines
    for n, line in enumerate(lines):
        args = shlex.split(
            line.replace("<value>", str(1.5 + n))
            .replace("<bloomberg|reuters|wsj|other>", "reuters")
            .replace("<YYYY-MM-DD>", "2026-10-01")
        )
        assert args[0] == "forecasting"
        typed = cli(*args[1:])
        assert typed.code == 0, (line, typed.stderr)
    after = json.loads(cli("data", "status", "--json", "--today", DAY).stdout)
    by_name = {s["series"]: s for s in after["series"]}
    for name in ("exports_yoy", "imports_yoy", "balance_usd_bn", "kr_exports_yoy"):
        assert by_name[name]["overdue"] == [], name
    assert by_name["exports_yoy"]["last_period"] == "2026-10"
    assert by_name["exports_yoy"]["consensus"]["source"] == "reuters"
    assert after["missing_consensus"] == []
    assert [ln for ln in after["lines"] if " import " not in ln] == []


def test_data_add_any_series(project: Path, cli) -> None:
    ok = cli(
        "data", "add", "--series", "kr_exports_yoy", "--value", "10.2",
        "--period", "2026-10", "--released", "2026-11-01",
    )  # fmt: skip
    assert ok.code == 0 and "added 1 figure(s) for 2026-10" in ok.stdout
    alone = cli("data", "add", "--series", "kr_exports_yoy", "--period", "2026-11",
                "--released", "2026-12-01")  # fmt: skip
    assert alone.code == 3 and "--series and --value go together" in alone.stderr
    unknown = cli("data", "add", "--series", "gdp", "--value", "1", "--period", "2026-11",
                  "--released", "2026-12-01")  # fmt: skip
    assert unknown.code == 3 and "unknown series 'gdp'" in unknown.stderr


def test_last_release_shows_the_december_comparison(fast_project: Path, cli) -> None:
    result = cli("last-release")
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "last release with a consensus: 2025-12, released 2026-01-14\n" in out
    assert "\n  exports_yoy actual +6.6 vs consensus +3.1 (bloomberg)\n" in out
    assert "\n  imports_yoy actual +5.7 vs consensus +0.9 (bloomberg)\n" in out
    assert "figures released before 2026-01-13" in out
    for model in FAST_YOY:
        assert model in out
    assert "balance_usd_bn: no recent consensus poll (the last one stored is for 2018-12" in out
    assert "data overdue:" in out
    payload = json.loads(cli("last-release", "--json", "--target", "imports_yoy").stdout)
    (release,) = payload["releases"]
    assert release["actual"] == 5.7 and release["consensus"] == 0.9
    assert release["forecasts_from"] == "forecast"  # no backtest yet at that origin
    assert [m["model"] for m in release["models"]] == FAST_YOY


def test_forecast_names_what_is_overdue_in_one_line(fast_project: Path, cli) -> None:
    """The bundled data ends at 2026-08 (released 2026-09-08): on any day from the estimated
    2026-09 release on, that period is overdue."""
    result = cli("forecast", "--target", "exports_yoy", "--models", "naive", "--json")
    assert result.code == 0, result.stderr
    json.loads(result.stdout)  # stdout stays one JSON object; the summary goes to stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("data overdue: ")]
    assert len(lines) == 1 and "exports_yoy, imports_yoy, balance_usd_bn 2026-09" in lines[0]
