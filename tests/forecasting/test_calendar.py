from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.calendar import (
    ReleaseCalendar,
    covered_months,
    load_release_calendar,
    target_periods,
)
from forecasting.errors import ConfigError


def test_target_periods_skip_combined_januaries_from_2020() -> None:
    periods = [str(p) for p in target_periods("2019-11", "2021-03")]
    assert "2019-12" in periods and "2020-01" not in periods and "2021-01" not in periods
    assert "2020-02" in periods and covered_months(pd.Period("2020-02", "M")) == "2020-01..2020-02"
    assert [str(p) for p in target_periods("2016-01", "2016-02")] == ["2016-01", "2016-02"]


def test_observed_over_listed_over_estimated() -> None:
    cal = ReleaseCalendar(
        observed={
            "2024-12": date(2025, 1, 13),
            "2023-12": date(2024, 1, 12),
            "2022-12": date(2023, 1, 13),
            "2025-11": date(2025, 12, 8),
        },
        listed={"2026-01": date(2026, 2, 9)} if False else {"2025-12": date(2026, 1, 14)},
    )
    assert cal.release("2024-12").basis == "data"
    assert cal.release("2025-12") == cal.release("2025-12")
    assert cal.release("2025-12").date == date(2026, 1, 14)
    assert cal.release("2025-12").basis == "calendar"
    est = cal.release("2026-12")
    # median-low of the December days 13, 12, 13, 14 -> 13
    assert est.basis == "estimated" and est.date == date(2027, 1, 13)
    assert cal.release("2026-05").date == date(2026, 6, 9)  # no May history: default day


def test_next_due_and_released_between() -> None:
    cal = ReleaseCalendar(observed={"2026-05": date(2026, 6, 9)}, listed={})
    nxt = cal.next_due(date(2026, 11, 29))
    assert str(nxt.period) == "2026-11" and nxt.date == date(2026, 12, 9)
    missing = [
        str(r.period) for r in cal.released_between(pd.Period("2026-05", "M"), date(2026, 11, 29))
    ]
    assert missing == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    nxt = cal.next_due(date(2026, 12, 10))
    assert str(nxt.period) == "2026-12"
    assert str(cal.next_due(date(2027, 1, 10)).period) == "2027-02"  # Jan-Feb combined


def test_calendar_file_validation(tmp_path: Path) -> None:
    p = tmp_path / "cal.toml"
    p.write_text('[releases]\n"2027-01" = "2027-03-07"\n')
    with pytest.raises(ConfigError, match="never released on its own"):
        load_release_calendar(p, {})
    p.write_text('[releases]\n"2026-11" = "2026-11-03"\n')
    with pytest.raises(ConfigError, match="must be a date after"):
        load_release_calendar(p, {})
    p.write_text('[releases]\n"2026-11" = "2026-12-07"\n[rule]\ndefault_day = 40\n')
    with pytest.raises(ConfigError, match="default_day"):
        load_release_calendar(p, {})
    p.write_text('[releases]\n"2026-11" = "2026-12-07"\n')
    assert load_release_calendar(p, {}).release("2026-11").basis == "calendar"


def test_project_calendar_file_loads(service) -> None:
    cal = service.calendar()
    assert cal.release("2025-12").date == date(2026, 1, 14)
    assert cal.release("2025-12").basis == "data"
