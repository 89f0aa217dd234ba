"""The data status use case on a real SQLite store loaded with the bundled snapshot."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd

from forecasting.series import SERIES
from forecasting.snapshot_loader import snapshot_version
from forecasting.usecases import data_status, overdue_summary
from tests.conftest import add_print

TODAY = date(2026, 12, 3)


def test_overdue_periods_dates_and_lines(service) -> None:
    status = data_status(service, TODAY)
    cal = service.calendar()
    ex = status.get("exports_yoy")
    assert ex.last_period == "2026-08" and ex.last_released == date(2026, 9, 8)
    assert [d.period for d in ex.overdue] == ["2026-09", "2026-10"]
    # the customs dates come from the release calendar (here its documented rule)
    for d in ex.overdue:
        rel = cal.release(d.period)
        assert (d.release, d.basis) == (rel.date, rel.basis) and d.release < TODAY
    assert ex.next_due == ex.overdue[0]
    assert ex.next_release.period == "2026-11" and ex.next_release.release >= TODAY
    assert ex.consensus is None and ex.no_consensus == ("2026-09", "2026-10", "2026-11")
    # an indicator's dates come from its release rule (Korea: the 1st of M+1)
    kr = status.get("kr_exports_yoy")
    rule = SERIES["kr_exports_yoy"].release_rule
    assert kr.last_period == "2026-09"
    assert [(d.period, d.release) for d in kr.overdue] == [
        ("2026-10", rule(pd.Period("2026-10", freq="M"))),
        ("2026-11", date(2026, 12, 1)),
    ]
    # the customs levels are stored only where a report states them: never overdue
    assert not status.get("exports_usd_bn").tracked and not status.get("exports_usd_bn").overdue
    assert status.snapshot_bundled == snapshot_version() == status.snapshot_loaded

    lines = status.lines
    for d in ex.overdue:
        assert (
            f"forecasting data add --period {d.period} --exports-yoy <value> "
            f"--imports-yoy <value> --balance <value> --released {d.release}"
        ) in lines
    assert (
        "forecasting data add --series kr_exports_yoy --period 2026-11 --value <value> "
        "--released 2026-12-01"
    ) in lines
    assert any(
        line.startswith("forecasting consensus add --target imports_yoy --period 2026-11 ")
        for line in lines
    )
    summary = status.summary()
    assert summary == overdue_summary(service, TODAY)
    assert (
        "\n" not in summary
        and "exports_yoy, imports_yoy, balance_usd_bn 2026-09, 2026-10" in summary
    )
    assert "no consensus for the next release (2026-11)" in summary
    assert (
        json.loads(json.dumps(status.as_dict()))["series"][0]["overdue"][0]["period"] == "2026-09"
    )


def test_adding_what_is_due_clears_it(service) -> None:
    cal = service.calendar()
    for period in ("2026-09", "2026-10"):
        released = cal.release(period).date.isoformat()
        add_print(service, period, released, exports_yoy=1.0, imports_yoy=2.0, balance_usd_bn=3.0)
    service.consensus.add(
        target="exports_yoy",
        period="2026-11",
        value=4.5,
        source="reuters",
        polled_on=date(2026, 11, 30),
        today=TODAY,
    )
    status = data_status(service, TODAY)
    ex = status.get("exports_yoy")
    assert ex.last_period == "2026-10" and not ex.overdue
    assert ex.consensus.value == 4.5 and ex.consensus.source == "reuters"
    assert status.get("imports_yoy").consensus is None
    assert not any(line.startswith("forecasting data add --period") for line in status.lines)
    assert not any("--target exports_yoy" in line for line in status.lines)
    assert status.summary().startswith("data overdue: kr_exports_yoy 2026-10, 2026-11; ")


def test_as_of_a_past_day_nothing_is_overdue(service) -> None:
    """On 2026-02-15 the store (as known then) was current: no summary, no data lines."""
    day = date(2026, 2, 15)
    status = data_status(service, day)
    ex = status.get("exports_yoy")
    assert ex.last_period == "2025-12" and not ex.overdue
    assert ex.next_due.period == "2026-02" and ex.next_due.release > day  # the Jan-Feb print
    assert status.get("kr_exports_yoy").last_period == "2026-01"
    assert status.overdue == [] and status.summary() is None
    assert all(line.startswith("forecasting consensus add") for line in status.lines)
    # a day after the Korean release is due, it is overdue
    later = data_status(service, date(2026, 3, 1) + timedelta(days=1))
    assert [d.period for d in later.get("kr_exports_yoy").overdue] == []  # 2026-02 is stored
    assert later.get("kr_exports_yoy").last_period == "2026-02"
