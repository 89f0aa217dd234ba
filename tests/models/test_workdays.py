"""Working days from China's official schedule and Korea's holidays; the models' calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.dynamic_regression import DynamicRegressionForecaster
from models.errors import ModelError
from models.korea_surprise import KoreaSurpriseForecaster
from models.workdays import (
    calendar_regressors,
    china_schedule_years,
    china_working_days,
    korea_working_days,
    working_day_difference,
)


def test_china_counts_make_up_weekend_days_and_drops_holidays() -> None:
    # October 2019: 23 weekdays, National Day 1-7 Oct takes five of them (1-4, 7), and
    # Saturday 12 Oct was a make-up working day
    assert china_working_days("2019-10") == 23 - 5 + 1
    # February 2019: 20 weekdays, Spring Festival 4-8 Feb (weekdays), make-up 2-3 Feb
    assert china_working_days("2019-02") == 20 - 5 + 2


def test_korea_drops_chuseok_and_its_substitute_holiday() -> None:
    # September 2018: 20 weekdays; Chuseok 24-25 Sep and the substitute holiday on the 26th
    assert korea_working_days("2018-09") == 17


def test_difference_against_a_year_earlier_and_the_combined_jan_feb() -> None:
    diff = working_day_difference(["2019-10", "2020-02"], "CN")
    assert diff.loc[pd.Period("2019-10", "M")] == (
        china_working_days("2019-10") - china_working_days("2018-10")
    )
    jan_feb = china_working_days("2020-01") + china_working_days("2020-02")
    before = china_working_days("2019-01") + china_working_days("2019-02")
    assert diff.loc[pd.Period("2020-02", "M")] == jan_feb - before
    logged = working_day_difference(["2020-02"], "CN", log=True).iloc[0]
    assert logged == pytest.approx(100 * np.log(jan_feb / before))


def test_a_month_outside_the_schedule_is_a_model_error_naming_the_date() -> None:
    last = china_schedule_years()[1]
    with pytest.raises(ModelError, match=f"{last + 1}-01-01"):
        working_day_difference([f"{last + 1}-01"], "CN")
    # a year after the last one also needs it (against a year earlier); NaN when asked
    series = working_day_difference([f"{last + 1}-03"], "CN", missing="nan")
    assert series.isna().all()
    # Korea's calendar is computed by rule: any year
    assert np.isfinite(working_day_difference([f"{last + 1}-03"], "KR").iloc[0])


def test_calendar_regressors_columns_and_lny_shift() -> None:
    frame = calendar_regressors(["2018-02", "2019-02"], ("cn_wd_diff", "lny_pre", "lny_post"))
    assert list(frame.columns) == ["cn_wd_diff", "lny_pre", "lny_post"]
    # LNY was 16 Feb 2018 and 5 Feb 2019: more of 2019's pre-festival weeks fell in January
    assert frame.loc[pd.Period("2019-02", "M"), "lny_pre"] < 0
    with pytest.raises(ValueError, match="unknown calendar columns"):
        calendar_regressors(["2019-02"], ("moon_phase",))


def _calendar_series(start: str, end: str, gamma: float, seed: int = 1) -> pd.Series:
    periods = pd.period_range(start, end, freq="M")
    rng = np.random.default_rng(seed)
    wd = calendar_regressors(periods, ("cn_wd_log",))["cn_wd_log"].to_numpy()
    noise = np.zeros(len(periods))
    for t in range(1, len(periods)):
        noise[t] = 0.5 * noise[t - 1] + rng.normal(0.0, 0.5)
    values = 5.0 + gamma * wd + noise
    return pd.Series(values, index=periods, name="exports_yoy")


def test_dynreg_with_the_calendar_recovers_the_working_day_effect() -> None:
    y = _calendar_series("2006-01", "2019-12", gamma=0.8)
    model = DynamicRegressionForecaster(calendar=("cn_wd_log",)).fit(y.loc[:"2019-11"])
    coef = dict(zip(model._xcols, model._res.params[1 : 1 + len(model._xcols)], strict=True))
    assert coef["cn_wd_log"] == pytest.approx(0.8, abs=0.1)
    # without the calendar the working-day swings stay in the errors
    plain = DynamicRegressionForecaster(calendar=()).fit(y.loc[:"2019-11"])
    assert "cn_wd_log" not in plain._xcols
    assert plain._res.params[-1] > 2 * model._res.params[-1]  # innovation variance


def test_the_nowcast_models_take_the_calendar_by_default() -> None:
    from models.bridge import BridgeForecaster
    from models.nowcast import DEFAULT_CALENDAR

    assert DynamicRegressionForecaster().calendar == DEFAULT_CALENDAR
    assert BridgeForecaster().calendar == DEFAULT_CALENDAR
    assert "cn_wd_log" in KoreaSurpriseForecaster().calendar


def test_a_forecast_beyond_the_schedule_fails_with_the_date() -> None:
    last = china_schedule_years()[1]
    y = _calendar_series("2006-01", f"{last}-12", gamma=0.5)
    with pytest.raises(ModelError, match=f"{last + 1}-01-01"):
        DynamicRegressionForecaster(calendar=("cn_wd_log",)).fit(y).predict(1)


def test_kr_surprise_adds_the_calendar_to_its_news() -> None:
    periods = pd.period_range("2008-01", "2019-06", freq="M")
    rng = np.random.default_rng(5)
    kr = pd.Series(rng.normal(3, 5, len(periods)), index=periods)
    cn = pd.Series(rng.normal(5, 5, len(periods)), index=periods)
    exog = kr.to_frame("kr_exports_yoy")
    exog.index.name = "period"
    plain = KoreaSurpriseForecaster(indicators=("kr_exports_yoy",), calendar=())
    plain.fit(cn.loc[:"2019-05"], exog)
    with_cal = KoreaSurpriseForecaster(indicators=("kr_exports_yoy",), calendar=("cn_wd_log",))
    with_cal.fit(cn.loc[:"2019-05"], exog)
    assert set(with_cal.coef) == {"kr_exports_yoy", "cn_wd_log"}
    assert with_cal.coef["kr_exports_yoy"] != plain.coef["kr_exports_yoy"]
    # June's forecast moves by the calendar term on top of Korea's news
    a = float(with_cal.predict(1)["yhat"].iloc[0])
    b = float(plain.predict(1)["yhat"].iloc[0])
    assert a != pytest.approx(b)
