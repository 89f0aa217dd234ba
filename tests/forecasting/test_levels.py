"""USD levels derived from y/y rates, balances and stated levels (forecasting.levels)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.balance_check import balance_discrepancies, describe_discrepancy
from forecasting.levels import (
    derive_levels,
    is_derived,
    rounding_halfwidth,
    solve_levels,
    year_earlier_level,
)
from models.periods import is_target_period, year_earlier_periods

LEVELS = ("exports_usd_bn", "imports_usd_bn")


def true_levels(start: str = "2016-01", end: str = "2021-12", seed: int = 3) -> pd.DataFrame:
    """Monthly exports and imports (USD bn) on level periods: from 2020 the February row is
    the January–February total and there is no January."""
    rng = np.random.default_rng(seed)
    months = pd.period_range(start, end, freq="M")
    n = len(months)
    season = 1 + 0.12 * np.sin(2 * np.pi * np.array([p.month for p in months]) / 12)
    x = 180 * season * np.exp(np.cumsum(rng.normal(0.004, 0.03, n)))
    m = 150 * season * np.exp(np.cumsum(rng.normal(0.003, 0.03, n)))
    frame = pd.DataFrame({"exports_usd_bn": x, "imports_usd_bn": m}, index=months)
    for p in months:
        if not is_target_period(p) and p + 1 in frame.index:
            frame.loc[p + 1] += frame.loc[p]
    return frame[[is_target_period(p) for p in frame.index]]


def release(period: pd.Period) -> date:
    return (period + 1).to_timestamp().date().replace(day=10)


def observations(levels: pd.DataFrame, stated: dict[str, date | None]) -> pd.DataFrame:
    """The y/y (1 decimal), balance (2 decimals) of every period with a year-earlier base,
    and both levels (2 decimals) of the ``stated`` periods, dated by ``release`` or the
    given date."""
    rows = []
    values = {p: levels.loc[p] for p in levels.index}
    for p in levels.index:
        r = release(p)
        rows.append(("balance_usd_bn", p, round(values[p].iloc[0] - values[p].iloc[1], 2), r))
        base = year_earlier_periods(p)
        if all(b in values for b in base):
            for i, s in enumerate(("exports_yoy", "imports_yoy")):
                prior = sum(values[b].iloc[i] for b in base)
                rows.append((s, p, round(100 * (values[p].iloc[i] / prior - 1), 1), r))
        if str(p) in stated:
            when = stated[str(p)] or r
            for i, s in enumerate(LEVELS):
                rows.append((s, p, round(values[p].iloc[i], 2), when))
    return pd.DataFrame(
        [(s, str(p), v, r, "test report") for s, p, v, r in rows],
        columns=["series", "period", "value", "released", "source"],
    )


STATED = {"2016-03": None, "2016-07": None, "2017-01": None, "2017-02": None, "2016-10": None}


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    return true_levels()


@pytest.fixture(scope="module")
def obs(truth: pd.DataFrame) -> pd.DataFrame:
    anchors = {**STATED, **{f"2016-{m:02d}": None for m in (4, 5, 6, 8, 9, 11, 12)}}
    return observations(truth, anchors)


def test_unstated_levels_are_recovered_within_a_percent(
    obs: pd.DataFrame, truth: pd.DataFrame
) -> None:
    derived = derive_levels(obs)
    latest = derived.drop_duplicates(["series", "period"], keep="last")
    assert set(latest["series"]) == set(LEVELS)
    errors = []
    for series, period, value in zip(
        latest["series"], latest["period"], latest["value"], strict=True
    ):
        truth_value = truth.loc[pd.Period(period, freq="M"), series]
        errors.append(abs(value / truth_value - 1))
    assert len(errors) > 100
    assert max(errors) < 0.01  # rounding of the y/y to 0.1 and of the balance only


def test_every_derived_row_is_marked_and_no_stated_level_is_derived(obs: pd.DataFrame) -> None:
    derived = derive_levels(obs)
    assert derived["source"].map(is_derived).all()
    levels = obs[obs["series"].isin(LEVELS)]
    stated = set(zip(levels["series"], levels["period"], strict=True))
    assert stated and not stated & set(zip(derived["series"], derived["period"], strict=True))


def test_no_look_ahead_vintages(obs: pd.DataFrame) -> None:
    """The rows dated up to d are the same whether or not later figures exist."""
    full = derive_levels(obs)
    for cut in (date(2017, 4, 10), date(2019, 8, 10), date(2020, 3, 10)):
        early = derive_levels(obs[obs["released"] <= cut])
        pd.testing.assert_frame_equal(
            early.reset_index(drop=True),
            full[full["released"] <= cut].reset_index(drop=True),
        )


def test_released_never_before_its_inputs(obs: pd.DataFrame) -> None:
    derived = derive_levels(obs)
    first_input = obs["released"].min()
    own = obs.groupby("period")["released"].min()
    for period, released in zip(derived["period"], derived["released"], strict=True):
        assert released >= first_input
        if period in own.index:  # a period's level needs at least its own or a later release
            assert released >= own[period]


def test_a_stated_level_wins_from_its_release_on(truth: pd.DataFrame) -> None:
    late = date(2018, 6, 1)  # a report states 2017-05's levels a year later
    obs = observations(truth, {**STATED, "2016-05": None, "2017-05": late})
    derived = derive_levels(obs)
    rows = derived[derived["period"] == "2017-05"]
    assert not rows.empty and (rows["released"] < late).all()
    pd.testing.assert_frame_equal(derive_levels(pd.concat([obs, derived.iloc[:, :5]])), derived)


def test_combined_jan_feb_levels_are_two_month_totals(
    obs: pd.DataFrame, truth: pd.DataFrame
) -> None:
    derived = derive_levels(obs).drop_duplicates(["series", "period"], keep="last")
    assert not derived["period"].isin(["2020-01", "2021-01"]).any()
    x = derived.set_index(["series", "period"])["value"]
    for period in ("2020-02", "2021-02"):
        want = truth.loc[pd.Period(period, freq="M"), "exports_usd_bn"]
        assert x[("exports_usd_bn", period)] == pytest.approx(want, rel=0.01)
    # the first combined total sits on ~ twice a month's level
    assert x[("exports_usd_bn", "2020-02")] > 1.6 * x[("exports_usd_bn", "2019-03")]


def test_the_other_level_and_the_balance_give_a_level_exactly() -> None:
    obs = pd.DataFrame(
        [
            ("exports_usd_bn", "2019-05", 213.92, date(2019, 6, 10), "report"),
            ("balance_usd_bn", "2019-05", 41.65, date(2019, 6, 10), "report"),
        ],
        columns=["series", "period", "value", "released", "source"],
    )
    derived = derive_levels(obs)
    assert derived[["series", "period", "value"]].values.tolist() == [
        ["imports_usd_bn", "2019-05", 172.27]
    ]
    assert "stated exports minus the balance" in derived["source"].iloc[0]


def test_a_level_the_data_does_not_pin_down_stays_missing(truth: pd.DataFrame) -> None:
    obs = observations(truth, STATED)
    gap = ~((obs["period"] == "2021-06") & (obs["series"] != "exports_yoy"))
    derived = derive_levels(obs[gap])
    have = set(zip(derived["series"], derived["period"], strict=True))
    assert ("exports_usd_bn", "2021-06") in have
    assert ("imports_usd_bn", "2021-06") not in have


def test_pure_and_accepts_iso_dates(obs: pd.DataFrame) -> None:
    before = obs.copy()
    as_text = obs.assign(released=obs["released"].astype(str))
    pd.testing.assert_frame_equal(derive_levels(as_text), derive_levels(obs))
    pd.testing.assert_frame_equal(obs, before)


def test_solve_levels_matches_the_last_vintage(obs: pd.DataFrame) -> None:
    solved = solve_levels(obs)
    derived = derive_levels(obs, tolerance=0.0).drop_duplicates(["series", "period"], keep="last")
    merged = derived.merge(solved, on=["series", "period"], suffixes=("", "_solved"))
    assert len(merged) == len(derived)
    assert np.allclose(merged["value"], merged["value_solved"], atol=0.006)


def test_rounding_halfwidth() -> None:
    assert rounding_halfwidth(41.65) == pytest.approx(0.005)
    assert rounding_halfwidth(173.0) == pytest.approx(0.5)
    assert rounding_halfwidth(-22.98) == pytest.approx(0.005)
    assert rounding_halfwidth(31.6) == pytest.approx(0.05)


def test_year_earlier_level_sums_january_and_february_for_2020() -> None:
    levels = {"2019-01": 217.0, "2019-02": 135.0, "2020-02": 400.0}
    assert year_earlier_level(levels, "2020-02") == pytest.approx(352.0)
    assert year_earlier_level(levels, "2021-02") == pytest.approx(400.0)
    assert year_earlier_level(levels, "2020-03") is None


def test_balance_discrepancies_flag_only_what_rounding_cannot_explain() -> None:
    rows = [
        ("2019-05", 213.92, 172.18, 41.65),  # off by 0.09; rounding allows 0.015
        ("2016-04", 173.0, 127.0, 45.56),  # whole-bn levels: within rounding
        ("2014-08", 208.5, 158.6, 49.8),  # 0.1 off, one-decimal figures: within rounding
    ]
    obs = pd.DataFrame(
        [
            (s, p, v, date(2020, 1, 1), "report")
            for p, x, m, b in rows
            for s, v in zip(LEVELS + ("balance_usd_bn",), (x, m, b), strict=True)
        ],
        columns=["series", "period", "value", "released", "source"],
    )
    bad = balance_discrepancies(obs)
    assert bad["period"].tolist() == ["2019-05"]
    row = bad.iloc[0]
    assert row["difference"] == pytest.approx(-0.09)
    assert row["tolerance"] == pytest.approx(0.015)
    text = describe_discrepancy(row)
    assert "2019-05" in text and "41.65" in text and "-0.09" in text
