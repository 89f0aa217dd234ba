"""How the base class turns a PointForecast into the contract frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.base import Forecaster, ModelError, PointForecast


def make_model(pf: PointForecast) -> Forecaster:
    class Fixed(Forecaster):
        alias = "fixed"
        min_history = 3

        def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
            pass

        def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
            return pf

    history = pd.Series([1.0, 2.0, 3.0, 4.0], index=pd.period_range("2024-09", periods=4, freq="M"))
    return Fixed().fit(history)


def test_quantile_keys_matched_with_float_tolerance() -> None:
    mean = np.array([0.0, 0.0])
    q = {0.1: mean - 1, 0.9: mean + 1, 0.025: mean - 2, 0.975: mean + 2}
    fc = make_model(PointForecast(mean=mean, quantiles=q)).predict(1)
    assert fc["period"].tolist() == ["2025-02"]  # Dec 2024 -> combined Jan–Feb 2025
    assert fc.iloc[0].drop("period").tolist() == pytest.approx([0.0, -1.0, 1.0, -2.0, 2.0])


def test_samples_give_empirical_quantiles() -> None:
    draws = np.tile(np.arange(1001, dtype=float) - 500.0, (3, 1))  # -500..500 per step
    fc = make_model(PointForecast(mean=np.zeros(3), samples=draws)).predict(2)
    assert fc["yhat_lo_80"].tolist() == pytest.approx([-400.0, -400.0])
    assert fc["yhat_hi_95"].tolist() == pytest.approx([475.0, 475.0])


def test_intervals_forced_to_contain_the_point_and_nest() -> None:
    # a skewed sample whose 10% quantile lies above the point forecast
    draws = np.tile(np.linspace(5.0, 10.0, 101), (2, 1))
    fc = make_model(PointForecast(mean=np.zeros(2), samples=draws)).predict(1)
    row = fc.iloc[0]
    assert row["yhat_lo_95"] <= row["yhat_lo_80"] <= row["yhat"] <= row["yhat_hi_80"]
    assert row["yhat_hi_80"] <= row["yhat_hi_95"]


def test_neither_sd_nor_quantiles_is_an_error() -> None:
    with pytest.raises(ModelError, match="neither sd"):
        make_model(PointForecast(mean=np.zeros(2))).predict(1)


def test_implausible_forecast_is_a_model_error() -> None:
    """A numerical blow-up (forecast far outside the history) fails loudly, so a combination
    never averages it in."""
    import numpy as np
    import pandas as pd
    import pytest

    from models.base import Forecaster, ModelError, PointForecast

    class Exploding(Forecaster):
        alias = "exploding"
        min_history = 3

        def _fit(self, history, exog):  # noqa: ANN001, ANN202
            pass

        def _predict(self, steps, exog):  # noqa: ANN001, ANN202
            return PointForecast(mean=np.full(steps, -4.78e6), sd=np.ones(steps))

    history = pd.Series(
        [1.0, 5.0, -3.0, 8.0, 2.0], index=pd.period_range("2018-01", periods=5, freq="M")
    )
    with pytest.raises(ModelError, match="implausible forecast"):
        Exploding().fit(history).predict(1)
