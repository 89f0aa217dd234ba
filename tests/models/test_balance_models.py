"""Balance models (seasonal_naive, seasonal_arima, kr_balance) and the series-kind check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.arima import ArimaForecaster
from models.balance_korea import KoreaBalanceForecaster
from models.base import ModelError, series_kind
from models.naive import NaiveForecaster
from models.seasonal_arima import SeasonalArimaForecaster
from models.seasonal_difference import seasonal_differences, year_earlier_value
from models.seasonal_naive import SeasonalNaiveForecaster


def test_series_kind_from_the_name() -> None:
    assert series_kind("exports_yoy") == "yoy"
    assert series_kind("balance_usd_bn") == "balance"
    assert series_kind(None) is None
    assert series_kind("exports_usd_bn") is None


def test_takes_declares_the_kinds_and_rejects_unknown_ones() -> None:
    assert NaiveForecaster.takes("balance") and NaiveForecaster.takes("yoy")
    assert not ArimaForecaster.takes("balance")
    assert SeasonalNaiveForecaster.takes("balance")
    assert not SeasonalNaiveForecaster.takes("yoy")
    with pytest.raises(ModelError, match="unknown series kind 'level'"):
        NaiveForecaster.takes("level")


def test_a_yoy_model_refuses_a_balance_with_a_clear_message(balance: pd.Series) -> None:
    with pytest.raises(ModelError, match=r"'arima' does not take 'balance_usd_bn' \(a balance"):
        ArimaForecaster().fit(balance)


def test_year_earlier_value_sums_the_separate_months_for_2020() -> None:
    values = {
        pd.Period("2019-01", "M"): 39.2,
        pd.Period("2019-02", "M"): 4.1,
        pd.Period("2020-02", "M"): -7.1,
    }
    assert year_earlier_value(values, pd.Period("2020-02", "M")) == pytest.approx(43.3)
    assert year_earlier_value(values, pd.Period("2021-02", "M")) == pytest.approx(-7.1)
    assert np.isnan(year_earlier_value(values, pd.Period("2020-03", "M")))


def test_seasonal_differences_follow_the_jan_feb_rule(balance: pd.Series) -> None:
    d = seasonal_differences(balance)
    feb20, feb21 = pd.Period("2020-02", "M"), pd.Period("2021-02", "M")
    jan19, feb19 = pd.Period("2019-01", "M"), pd.Period("2019-02", "M")
    assert d[feb20] == pytest.approx(balance[feb20] - balance[jan19] - balance[feb19])
    assert d[feb21] == pytest.approx(balance[feb21] - balance[feb20])
    assert np.isnan(d[pd.Period("2021-01", "M")])
    assert d.name == "balance_usd_bn_sdiff"


def test_seasonal_naive_is_the_same_period_a_year_earlier(balance: pd.Series) -> None:
    history = balance.loc[:"2019-11"]
    fc = SeasonalNaiveForecaster().fit(history).predict(4).set_index("period")
    assert fc.index.tolist() == ["2019-12", "2020-02", "2020-03", "2020-04"]
    assert fc.loc["2019-12", "yhat"] == pytest.approx(balance["2018-12"])
    jan_feb = balance["2019-01"] + balance["2019-02"]
    assert fc.loc["2020-02", "yhat"] == pytest.approx(jan_feb)
    # beyond twelve months the base is its own forecast, with wider bands
    far = SeasonalNaiveForecaster().fit(history).predict(14).set_index("period")
    assert far.loc["2020-12", "yhat"] == pytest.approx(balance["2018-12"])
    width = far["yhat_hi_80"] - far["yhat_lo_80"]
    assert width["2020-12"] == pytest.approx(np.sqrt(2) * width["2019-12"])


def test_seasonal_arima_tracks_a_seasonal_balance_with_drift() -> None:
    periods = pd.period_range("2010-01", "2019-12", freq="M")
    rng = np.random.default_rng(5)
    season = np.tile([30, -20, 0, 10, 15, 20, 25, 25, 20, 20, 25, 35], 10).astype(float)
    y = 40 + 0.3 * np.arange(len(periods)) + season + rng.normal(0, 2, len(periods))
    history = pd.Series(y, index=periods, name="balance_usd_bn")
    fc = SeasonalArimaForecaster().fit(history.loc[:"2018-12"]).predict(12)
    truth = history.loc["2019-01":"2019-12"].to_numpy()
    mae = np.abs(fc["yhat"].to_numpy() - truth).mean()
    naive_mae = np.abs(history.loc["2018-01":"2018-12"].to_numpy() - truth).mean()
    assert mae < 0.5 * naive_mae  # it learns the drift the seasonal naive misses


def test_kr_balance_uses_korea_when_released_and_falls_back_without(balance: pd.Series) -> None:
    periods = balance.index.append(pd.period_range("2025-07", periods=1, freq="M"))
    rng = np.random.default_rng(9)
    kr = pd.Series(rng.normal(5, 10, len(periods)), index=periods)
    # a balance whose change from a year earlier is 0.8 x Korea's exports y/y
    d = 0.8 * kr.reindex(balance.index)
    history = balance.copy()
    for p in history.index[12:]:
        if pd.notna(history[p]) and p.month > 2:
            history[p] = history[p - 12] + d[p] if pd.notna(history[p - 12]) else history[p]
    exog = pd.DataFrame({"kr_exports_yoy": kr, "kr_exports_to_china_yoy": np.nan})
    h = history.loc[:"2025-06"]
    model = KoreaBalanceForecaster(indicators=("kr_exports_yoy",)).fit(h, exog)
    assert model.used_indicators == ("kr_exports_yoy",)
    fc = model.predict(1, exog)
    want = history["2024-07"] + 0.8 * kr["2025-07"]
    assert fc["yhat"].iloc[0] == pytest.approx(want, abs=3.0)
    plain = KoreaBalanceForecaster(indicators=("kr_exports_yoy",)).fit(h, None)
    assert plain.used_indicators == ()
    assert plain.predict(1)["yhat"].iloc[0] != pytest.approx(fc["yhat"].iloc[0], abs=0.1)
