"""``kr_surprise``: China's seasonal-ratio forecast moved by Korea's surprise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.indicators import indicator_exog
from models.korea_surprise import KoreaSurpriseForecaster, own_months, surprise
from models.seasonal_ratio import SeasonalRatioForecaster, seasonal_ratio_log_yoy

CN_SEASON = np.array([-0.20, -0.35, 0.05, 0.02, 0.04, 0.06, 0.08, 0.07, 0.05, 0.06, 0.03, 0.10])
KR_SEASON = np.array([-0.05, -0.10, 0.04, 0.01, 0.03, 0.00, 0.02, -0.02, -0.06, 0.05, 0.04, 0.03])


def _yoy(log_level: np.ndarray, periods: pd.PeriodIndex) -> pd.Series:
    level = pd.Series(np.exp(log_level), index=periods)
    return (100.0 * (level / level.shift(12) - 1.0)).dropna()


def korea_and_china(loading: float = 0.5, end: str = "2019-06") -> tuple[pd.Series, pd.Series]:
    """Seasonal log levels with trends and one-month shocks; China takes ``loading`` times
    Korea's shock in the same month (separate months throughout: before 2020)."""
    periods = pd.period_range("2008-01", end, freq="M")
    t = np.arange(len(periods))
    months = [p.month - 1 for p in periods]
    shock = np.random.default_rng(3).normal(0.0, 0.05, len(periods))
    shock[-1] = 0.2  # a large surprise in the last month
    korea = 3.0 + 0.003 * t + KR_SEASON[months] + shock
    china = 4.0 + 0.005 * t + CN_SEASON[months] + loading * shock
    return _yoy(korea, periods), _yoy(china, periods)


def exog_of(korea: pd.Series, last: str) -> pd.DataFrame:
    frame = korea.loc[:last].to_frame("kr_exports_yoy")
    frame.index.name = "period"
    return frame


def test_recovers_the_loading_and_the_print() -> None:
    korea, china = korea_and_china(loading=0.5)
    history, actual = china.loc[:"2019-05"], float(china.loc["2019-06"])
    model = KoreaSurpriseForecaster(indicators=("kr_exports_yoy",))
    model.fit(history, exog_of(korea, "2019-06"))
    assert model.used_indicators == ("kr_exports_yoy",)
    assert model.coef["kr_exports_yoy"] == pytest.approx(0.5, abs=1e-9)
    got = float(model.predict(1)["yhat"].iloc[0])
    assert got == pytest.approx(actual, abs=1e-9)
    # the seasonal rule alone does not know June's shock
    rule = float(SeasonalRatioForecaster().fit(history).predict(1)["yhat"].iloc[0])
    assert abs(rule - actual) > 5


def test_without_a_release_for_the_month_it_is_the_seasonal_ratio_forecast() -> None:
    korea, china = korea_and_china()
    history = china.loc[:"2019-05"]
    exog = exog_of(korea, "2019-05").reindex(pd.period_range("2008-01", "2019-06", freq="M"))
    model = KoreaSurpriseForecaster(indicators=("kr_exports_yoy",)).fit(history, exog)
    assert model.used_indicators == () and model.coef == {}
    rule = SeasonalRatioForecaster().fit(history).predict(3)
    pd.testing.assert_frame_equal(model.predict(3), rule)
    no_exog = KoreaSurpriseForecaster().fit(history).predict(3)
    pd.testing.assert_frame_equal(no_exog, rule)


def test_too_short_an_overlap_falls_back() -> None:
    korea, china = korea_and_china()
    exog = exog_of(korea.loc["2018-01":], "2019-06")  # 18 months < min_overlap 24
    model = KoreaSurpriseForecaster(indicators=("kr_exports_yoy",))
    model.fit(china.loc[:"2019-05"], exog)
    assert model.coef == {}


def test_own_months_undoes_the_jan_feb_aggregate() -> None:
    values = {"2020-12": 1.0, "2021-01": 10.0, "2021-02": -4.0, "2021-03": 3.0, "2022-02": 7.0}
    info = pd.DataFrame(
        {
            "series": "kr_exports_yoy",
            "period": list(values),
            "value": list(values.values()),
            "released": pd.Timestamp("2023-01-01").date(),
            "source": "test",
        }
    )
    exog = indicator_exog(info, ["kr_exports_yoy"], "2022-02")
    assert exog.loc[pd.Period("2021-02", "M"), "kr_exports_yoy"] == pytest.approx(3.0)  # mean
    own = own_months(exog["kr_exports_yoy"])
    for period, value in values.items():
        assert own[pd.Period(period, "M")] == pytest.approx(value)  # 2022-02: no January
    assert own.index.equals(exog.index)


def test_a_combined_jan_feb_surprise_is_the_mean_of_both_months_from_december() -> None:
    rng = np.random.default_rng(5)
    periods = pd.period_range("2015-01", "2021-02", freq="M")
    grid = dict(zip(periods, rng.normal(0.0, 0.1, len(periods)), strict=True))
    dec, jan, feb = (pd.Period(p, "M") for p in ("2020-12", "2021-01", "2021-02"))
    want = np.mean(
        [grid[m] - seasonal_ratio_log_yoy(grid, dec, m, (2, 3, 4), 2) for m in (jan, feb)]
    )
    assert surprise(grid, feb, (2, 3, 4), 2) == pytest.approx(want)
    # a single month is measured from the month before
    mar = pd.Period("2019-03", "M")
    one = grid[mar] - seasonal_ratio_log_yoy(grid, mar - 1, mar, (2, 3, 4), 2)
    assert surprise(grid, mar, (2, 3, 4), 2) == pytest.approx(one)
    assert np.isnan(surprise(grid, pd.Period("2030-01", "M"), (2, 3, 4), 2))
