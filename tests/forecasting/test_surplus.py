"""The year's surplus: totals of first releases, the projection, P(record), growth, chart."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.errors import DataError, ModelError
from forecasting.surplus import (
    full_year_growth,
    project_surplus,
    simulate_paths,
    unreleased_periods,
    year_totals,
)
from forecasting.surplus_chart import cumulative_path, surplus_chart
from forecasting.usecases.surplus import default_surplus_year, surplus_projection
from models.periods import full_year_periods

Z80, Z95 = 1.2815515655446004, 1.959963984540054


def balances(years: dict[int, float], partial: dict[str, float] | None = None) -> pd.DataFrame:
    """Each full year's target periods with equal balances summing to ``years[y]``, plus the
    ``partial`` periods; released on the 10th of the next month."""
    rows = []
    for year, total in years.items():
        periods = full_year_periods(year)
        rows += [(str(p), total / len(periods)) for p in periods]
    rows += list((partial or {}).items())
    frame = pd.DataFrame(rows, columns=["period", "value"])
    frame["released"] = [
        (pd.Period(p, "M") + 1).to_timestamp().date().replace(day=10) for p in frame["period"]
    ]
    return frame


def forecasts(periods: list[str], yhat: float, sd: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": periods,
            "yhat": yhat,
            "yhat_lo_80": yhat - Z80 * sd,
            "yhat_hi_80": yhat + Z80 * sd,
            "yhat_lo_95": yhat - Z95 * sd,
            "yhat_hi_95": yhat + Z95 * sd,
        }
    )


def test_full_years_have_eleven_periods_from_2020_and_totals_sum_first_releases() -> None:
    assert len(full_year_periods(2019)) == 12
    assert [str(p) for p in full_year_periods(2025)][:2] == ["2025-02", "2025-03"]
    totals = year_totals({"2024-02": 100.0, **{f"2024-{m:02d}": 10.0 for m in range(3, 13)}})
    assert totals == {2024: 200.0}
    assert year_totals({"2024-03": 10.0}) == {}


def test_a_complete_year_is_its_sum_with_the_record_and_last_year() -> None:
    frame = balances({2023: 858.6, 2024: 993.1, 2025: 1194.2})
    p = project_surplus(2025, date(2026, 6, 1), frame)
    assert p.complete and p.released_sum == pytest.approx(1194.2)
    assert p.total == p.total_lo_95 == p.total_hi_95 == pytest.approx(1194.2)
    assert (p.record, p.record_year, p.previous_total) == (
        pytest.approx(993.1),
        2024,
        pytest.approx(993.1),
    )
    assert p.p_record == 1.0
    assert p.as_dict()["total_80"] == [1194.2, 1194.2]


def test_a_year_in_progress_adds_the_remaining_forecasts_with_joint_intervals() -> None:
    frame = balances({2024: 993.1, 2025: 1194.2}, {"2026-02": 213.6, "2026-03": 51.1})
    todo = unreleased_periods(2026, dict(zip(frame["period"], frame["value"], strict=True)))
    assert todo == [f"2026-{m:02d}" for m in range(4, 13)]
    rest = forecasts(todo, 100.0, 10.0)
    p = project_surplus(2026, date(2026, 4, 20), frame, rest, rho=0.5)
    assert p.released_sum == pytest.approx(264.7)
    assert p.total == pytest.approx(264.7 + 900)
    # 9 months, sd 10 each, correlation 0.5^|i-j|: sd of the sum from the covariance
    k = np.arange(9)
    sd_sum = 10 * np.sqrt((0.5 ** np.abs(k[:, None] - k[None, :])).sum())
    assert p.total_hi_80 - p.total_lo_80 == pytest.approx(2 * Z80 * sd_sum, rel=0.03)
    assert p.p_record == pytest.approx(stats.norm.sf(1194.2, 1164.7, sd_sum), abs=0.02)
    independent = project_surplus(2026, date(2026, 4, 20), frame, rest, rho=0.0)
    assert independent.total_hi_80 - independent.total_lo_80 < p.total_hi_80 - p.total_lo_80
    again = project_surplus(2026, date(2026, 4, 20), frame, rest, rho=0.5)
    assert again.total_lo_95 == p.total_lo_95  # seeded paths: the same numbers


def test_a_remaining_period_without_a_forecast_is_an_error() -> None:
    frame = balances({2025: 1194.2}, {"2026-02": 213.6})
    rest = forecasts([f"2026-{m:02d}" for m in range(3, 12)], 100.0, 10.0)  # no December
    with pytest.raises(ModelError, match="no balance forecast for 2026-12"):
        project_surplus(2026, date(2026, 4, 1), frame, rest)


def test_a_year_without_data_or_beyond_the_horizon_is_a_clear_error() -> None:
    frame = balances({2024: 993.1, 2025: 1194.2}, {"2026-02": 213.6})
    with pytest.raises(
        DataError, match=r"no balance_usd_bn figures for 2010: the data holds 2024-02\.\.2026-02"
    ):
        project_surplus(2010, date(2026, 4, 1), frame)
    with pytest.raises(DataError, match="2027 is beyond the forecast horizon.*up to 2026"):
        project_surplus(2027, date(2026, 4, 1), frame)
    # after the December release, next year is within the horizon (all months forecast)
    full = balances({2024: 993.1, 2025: 1194.2})
    rest = forecasts([str(p) for p in full_year_periods(2026)], 100.0, 10.0)
    p = project_surplus(2026, date(2026, 1, 20), full, rest)
    assert p.released.empty and p.total == pytest.approx(1100.0)


def test_simulated_paths_keep_skewed_bands() -> None:
    rest = pd.DataFrame(
        {"period": ["2026-04"], "yhat": [100.0], "yhat_lo_80": [90.0], "yhat_hi_80": [120.0]}
    )
    draws = simulate_paths(rest, draws=40_000)[0]
    assert np.quantile(draws, 0.1) == pytest.approx(90.0, abs=0.5)
    assert np.quantile(draws, 0.9) == pytest.approx(120.0, abs=0.8)


def test_full_year_growth_weights_monthly_rates_by_the_year_earlier_levels() -> None:
    levels = {"2024-02": 500.0, "2024-03": 300.0}
    yoy = {"2025-02": 10.0, "2025-03": -10.0}
    got = full_year_growth(yoy, levels, ["2025-02", "2025-03"])
    assert got == pytest.approx(100 * ((550 + 270) / 800 - 1))
    assert full_year_growth(yoy, levels, ["2025-02", "2025-04"]) is None


def test_chart_writes_a_png(tmp_path: Path) -> None:
    frame = balances({2023: 858.6, 2024: 993.1, 2025: 1194.2}, {"2026-02": 213.6, "2026-04": 84.8})
    known = dict(zip(frame["period"], frame["value"], strict=True))
    todo = unreleased_periods(2026, known)
    assert todo[0] == "2026-03"  # a gap before a released month is forecast, not filled in
    p = project_surplus(2026, date(2026, 5, 20), frame, forecasts(todo, 100.0, 10.0))
    assert cumulative_path(known, 2026) == ([2], [213.6])
    out = surplus_chart(p, known, tmp_path / "charts" / "surplus_2026.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_surplus_projection_from_an_observation_frame_uses_only_what_was_released() -> None:
    rng = np.random.default_rng(2)
    rows = []
    for year in range(2016, 2026):
        for period in full_year_periods(year):
            months = 2 if period.month == 2 and year >= 2020 else 1
            value = months * (40 + 6 * (year - 2016)) + rng.normal(0, 5)
            released = (period + 1).to_timestamp().date().replace(day=10)
            rows.append(("balance_usd_bn", str(period), round(value, 2), released, "test"))
    obs = pd.DataFrame(rows, columns=["series", "period", "value", "released", "source"])
    as_of = date(2025, 7, 1)  # 2025-02..2025-05 released
    assert default_surplus_year(obs, as_of) == 2025
    p = surplus_projection(obs, 2025, as_of)
    assert p.released["period"].tolist() == ["2025-02", "2025-03", "2025-04", "2025-05"]
    assert p.remaining["period"].tolist() == [f"2025-{m:02d}" for m in range(6, 13)]
    assert p.total_lo_95 < p.total_lo_80 < p.total < p.total_hi_80 < p.total_hi_95
    # the sums are of first releases: a revision, before or after as_of, changes nothing
    revisions = pd.DataFrame(
        [
            ("balance_usd_bn", "2025-03", 999.0, date(2025, 6, 1), "revision"),
            ("balance_usd_bn", "2025-04", 999.0, date(2025, 8, 1), "revision"),
        ],
        columns=obs.columns,
    )
    revised = surplus_projection(pd.concat([obs, revisions], ignore_index=True), 2025, as_of)
    assert revised.released_sum == pytest.approx(p.released_sum)
    after = pd.concat([obs, revisions.iloc[[1]]], ignore_index=True)  # released after as_of
    assert surplus_projection(after, 2025, as_of).total == pytest.approx(p.total)
    with pytest.raises(DataError, match="nothing to sum"):
        default_surplus_year(obs, date(2016, 1, 1))
