"""``seasonal_ratio``: exact on a seasonal level with trend, undoes a base effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.base import ModelError
from models.naive import NaiveForecaster
from models.seasonal_ratio import SeasonalRatioForecaster, seasonal_ratio_log_yoy

SEASONAL = np.array([-0.20, -0.35, 0.05, 0.02, 0.04, 0.06, 0.08, 0.07, 0.05, 0.06, 0.03, 0.10])


def level_series(start: str, end: str, shock: dict[str, float] | None = None) -> pd.Series:
    """log level = trend + month effect (+ one-month shocks), separate months throughout."""
    periods = pd.period_range(start, end, freq="M")
    t = np.arange(len(periods))
    log_level = 4.0 + 0.004 * t + SEASONAL[[p.month - 1 for p in periods]]
    level = pd.Series(np.exp(log_level), index=periods)
    for period, factor in (shock or {}).items():
        level[pd.Period(period, "M")] *= factor
    return level


def yoy_of(level: pd.Series) -> pd.Series:
    return (100.0 * (level / level.shift(12) - 1.0)).dropna()


def test_exact_when_the_seasonal_ratio_holds() -> None:
    level = level_series("2010-01", "2019-12")
    yoy = yoy_of(level)
    history, truth = yoy.loc[:"2018-12"], yoy.loc["2019-01":]
    fc = SeasonalRatioForecaster().fit(history).predict(12)
    assert list(fc["period"]) == [str(p) for p in truth.index]
    np.testing.assert_allclose(fc["yhat"].to_numpy(), truth.to_numpy(), atol=1e-9)


def test_a_collapse_one_year_ago_is_undone() -> None:
    # 2018-06 loses 30% of its level for one month: 2018-06 y/y is deeply negative and the
    # 2019-06 y/y rebounds (+43%). The last print carries the collapse, not the rebound.
    level = level_series("2010-01", "2019-06", shock={"2018-06": 0.7})
    yoy = yoy_of(level)
    history, actual = yoy.loc[:"2019-05"], float(yoy.loc["2019-06"])
    assert actual > 40
    model = SeasonalRatioForecaster().fit(history)
    got = float(model.predict(1)["yhat"].iloc[0])
    assert got == pytest.approx(actual, abs=1e-9)
    naive = float(NaiveForecaster().fit(history).predict(1)["yhat"].iloc[0])
    assert abs(naive - actual) > 30


def test_identity_with_one_year_is_the_last_print() -> None:
    log_yoy = {pd.Period("2019-05", "M"): 0.1, pd.Period("2019-04", "M"): 0.3}
    target = pd.Period("2019-06", "M")
    assert seasonal_ratio_log_yoy(log_yoy, pd.Period("2019-05", "M"), target, (1,), 1) == 0.1
    assert seasonal_ratio_log_yoy(log_yoy, pd.Period("2019-05", "M"), target, (1,), 2) == 0.2
    # a term the history lacks leaves that (k, r) out; nothing left gives NaN
    assert np.isnan(seasonal_ratio_log_yoy(log_yoy, pd.Period("2019-05", "M"), target, (2,), 1))


def test_combined_jan_feb_target_and_intervals(yoy: pd.Series) -> None:
    history = yoy.loc[:"2024-12"]
    fc = SeasonalRatioForecaster().fit(history).predict(3)
    assert list(fc["period"]) == ["2025-02", "2025-03", "2025-04"]
    assert fc[["yhat", "yhat_lo_95", "yhat_hi_95"]].notna().all().all()
    width80 = (fc["yhat_hi_80"] - fc["yhat_lo_80"]).to_numpy()
    width95 = (fc["yhat_hi_95"] - fc["yhat_lo_95"]).to_numpy()
    assert (width95 > width80).all() and (np.diff(width80) > 0).all()  # widens with the step


def test_beyond_a_year_uses_its_own_forecasts(yoy: pd.Series) -> None:
    fc = SeasonalRatioForecaster().fit(yoy).predict(20)
    assert len(fc) == 20 and np.isfinite(fc["yhat"]).all()


def test_too_short_a_history_is_refused(yoy: pd.Series) -> None:
    with pytest.raises(ModelError, match="seasonal_ratio"):
        SeasonalRatioForecaster().fit(yoy.iloc[-30:])
    with pytest.raises(ValueError, match="years"):
        SeasonalRatioForecaster(years=())
