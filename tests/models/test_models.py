"""Model-specific behaviour beyond the shared contract."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.arima import ORDER_GRID, ArimaForecaster, _css_fit
from models.base import filled_history
from models.base_effect import BaseEffectForecaster, log_two_year_growth
from models.ets import EtsForecaster
from models.ridge_ar import RidgeArForecaster, _ridge_loo


# -- arima -------------------------------------------------------------------------------
def test_css_recovers_ar1() -> None:
    rng = np.random.default_rng(3)
    y = np.zeros(400)
    for t in range(1, y.size):
        y[t] = 0.6 * y[t - 1] + rng.normal()
    y += 5.0
    _, params = _css_fit(y, 1, 0, 0)
    assert params[0] == pytest.approx(5.0, abs=0.5)
    assert params[1] == pytest.approx(0.6, abs=0.1)


def test_arima_order_from_grid_and_mle_variant(yoy: pd.Series) -> None:
    css = ArimaForecaster().fit(yoy)
    assert css.order in ORDER_GRID
    mle = ArimaForecaster(method="mle").fit(yoy)
    assert mle.order == css.order
    a, b = css.predict(3), mle.predict(3)
    assert np.allclose(a["yhat"], b["yhat"], atol=2.0)  # same order, close parameters
    with pytest.raises(ValueError, match="method"):
        ArimaForecaster(method="bayes")  # type: ignore[arg-type]


# -- base_effect -------------------------------------------------------------------------
def test_log_two_year_growth_identity() -> None:
    g = np.array([10.0] * 12 + [-5.0] * 12)
    log_g, z = log_two_year_growth(g)
    assert np.allclose(np.exp(z), 1.10 * 0.95)
    assert np.allclose(log_g, np.log1p(g / 100))


def test_base_effect_reproduces_constant_two_year_growth() -> None:
    # y/y alternates by year so that the two-year growth is the same every month:
    # (1 + g_t)(1 + g_{t-12}) = 1.21. The model must carry the base effect forward, including
    # past 12 steps where it needs its own forecasts of g_{t-12}.
    periods = pd.period_range("2010-01", "2015-12", freq="M")
    months = np.array([p.month for p in periods])
    even = np.array([p.year % 2 == 0 for p in periods])
    first = 1.0 + (2.0 + months) / 100.0  # month-specific y/y in even years
    growth = np.where(even, first, 1.21 / first)
    series = pd.Series(100.0 * (growth - 1.0), index=periods)
    fc = BaseEffectForecaster().fit(series).predict(18)
    future = pd.period_range("2016-01", periods=18, freq="M")
    f_month = np.array([p.month for p in future])
    f_even = np.array([p.year % 2 == 0 for p in future])
    f_first = 1.0 + (2.0 + f_month) / 100.0
    expected = 100.0 * (np.where(f_even, f_first, 1.21 / f_first) - 1.0)
    assert fc["period"].tolist() == [str(p) for p in future]
    assert np.allclose(fc["yhat"], expected, atol=1e-6)


def test_base_effect_intervals_widen_with_horizon(yoy: pd.Series) -> None:
    fc = BaseEffectForecaster().fit(yoy).predict(12)
    width = (fc["yhat_hi_95"] - fc["yhat_lo_95"]).to_numpy()
    assert width[-1] > width[0]


# -- ets ---------------------------------------------------------------------------------
def test_ets_spec_and_candidates(yoy: pd.Series) -> None:
    model = EtsForecaster().fit(yoy)
    assert model.spec in ("ANN", "AAdN")
    assert EtsForecaster(candidates=("ANN",)).fit(yoy).spec == "ANN"
    with pytest.raises(ValueError, match="unknown ETS"):
        EtsForecaster(candidates=("MMM",))


# -- prophet -----------------------------------------------------------------------------
def test_lny_dates_come_from_holidays() -> None:
    from models.prophet_lny import lny_date

    assert lny_date(2015) == dt.date(2015, 2, 19)
    assert lny_date(2020) == dt.date(2020, 1, 25)


def test_lny_regressors_signs_and_combined_rows() -> None:
    from models.prophet_lny import lny_regressors

    periods = pd.PeriodIndex(["2015-02", "2015-03", "2023-02", "2021-02", "2021-06"], freq="M")
    x = lny_regressors(periods)
    # LNY 31 Jan 2014, 19 Feb 2015. Feb 2015 held 18 of the 21 pre-holiday days (Feb 2014
    # none) and 10 post-holiday days (Feb 2014: 20)
    assert x.loc[0, "lny_pre"] == pytest.approx(18 / 21)
    assert x.loc[0, "lny_post"] == pytest.approx(10 / 21 - 20 / 21)
    # March 2015 caught 11 post-holiday days, March 2014 none
    assert x.loc[1, "lny_post"] == pytest.approx(11 / 21)
    # combined Jan–Feb 2023 (LNY 22 Jan) vs 2022 (1 Feb): both windows inside Jan–Feb
    assert x.loc[2].tolist() == pytest.approx([0.0, 0.0])
    # combined Jan–Feb 2021 (LNY 12 Feb): 4 post-holiday days spill into March; 2020 none
    assert x.loc[3].tolist() == pytest.approx([0.0, -4 / 21])
    assert x.loc[4].abs().max() == 0.0


def test_prophet_fast_mean_matches_prophet_predict(yoy: pd.Series) -> None:
    from models.prophet_lny import ProphetLnyForecaster, lny_regressors

    model = ProphetLnyForecaster().fit(yoy)
    future_p = pd.period_range(yoy.index[-1] + 1, periods=14, freq="M")
    future = pd.concat(
        [pd.DataFrame({"ds": future_p.to_timestamp()}), lny_regressors(future_p)], axis=1
    )
    expected = model._model.predict(future)["yhat"].to_numpy()
    assert np.allclose(model._mean(future), expected, atol=1e-8)


def test_prophet_without_residual_ar(yoy: pd.Series) -> None:
    from models.prophet_lny import ProphetLnyForecaster

    with_ar = ProphetLnyForecaster().fit(yoy).predict(2)
    without = ProphetLnyForecaster(residual_ar=False).fit(yoy).predict(2)
    assert not np.allclose(with_ar["yhat"], without["yhat"])


# -- ridge_ar ----------------------------------------------------------------------------
def test_ridge_loo_recovers_linear_relation() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 3))
    y = 1.0 + 2.0 * x[:, 0] - x[:, 2] + rng.normal(scale=0.01, size=80)
    pred, rmse = _ridge_loo(x, y, np.array([1.0, 0.0, 1.0]))
    assert pred == pytest.approx(2.0, abs=0.05)
    assert rmse < 0.1


def test_ridge_ar_falls_back_to_mean_when_too_few_rows(yoy: pd.Series) -> None:
    history = yoy.loc[:"2019-12"].iloc[-40:]  # 40 months: 26 origins with features
    model = RidgeArForecaster(min_rows=20).fit(history)
    fc = model.predict(12)
    filled = filled_history(history)
    # step 12 has 26 - 12 = 14 < 20 training rows: history mean
    assert fc["yhat"].iloc[-1] == pytest.approx(filled.mean())


# -- base: BLAS threads ------------------------------------------------------------------------
def test_blas_limited_inside_fit_and_restored_after(yoy: pd.Series) -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from models.base import Forecaster, PointForecast

    seen: list[int] = []

    class Probe(Forecaster):
        alias = "probe"
        min_history = 3

        def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
            seen.extend(
                i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
            )

        def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
            return PointForecast(mean=np.zeros(steps), sd=np.ones(steps))

    before = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    Probe().fit(yoy).predict(2)
    after = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert after == before
    assert seen and all(n == 1 for n in seen)
