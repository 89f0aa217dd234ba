"""The small shared helpers of models.base (transforms, Jan–Feb rule, AIC choice, intervals)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.base import (
    YOY_FLOOR,
    _is_plausible,
    from_log_growth,
    log_growth,
    log_yoy,
    lowest_aic,
    nest_intervals,
)
from models.periods import is_combined_jan_feb, is_target_period


def test_is_combined_jan_feb() -> None:
    assert is_combined_jan_feb(pd.Period("2020-02", freq="M"))
    assert is_combined_jan_feb(pd.Period("2025-02", freq="M"))
    assert not is_combined_jan_feb(pd.Period("2019-02", freq="M"))
    assert not is_combined_jan_feb(pd.Period("2021-03", freq="M"))
    for p in pd.period_range("2017-01", "2024-12", freq="M"):
        assert is_combined_jan_feb(p) == (p.month == 2 and not is_target_period(p - 1))


def test_log_growth_round_trip_and_log_yoy_floor() -> None:
    yoy = pd.Series([-50.0, 0.0, 12.5, 300.0])
    assert np.allclose(from_log_growth(log_growth(yoy).to_numpy()), yoy.to_numpy())
    assert np.allclose(log_yoy(yoy), log_growth(yoy).to_numpy() / 100.0)
    assert log_yoy([-100.0])[0] == np.log1p(YOY_FLOOR / 100.0)  # clipped, finite


def test_lowest_aic_order_ties_and_failures() -> None:
    aics = {"a": 3.0, "b": 1.0, "c": 1.0, "d": np.nan}
    failed: list[str] = []

    def fit(name: str) -> tuple[float, str]:
        if name == "bad":
            raise np.linalg.LinAlgError("singular")
        return aics[name], name.upper()

    best = lowest_aic(["a", "bad", "b", "c", "d"], fit, lambda name, exc: failed.append(name))
    assert best == ("b", "B")  # the first of a tie
    assert failed == ["bad"]
    assert lowest_aic(["d", "bad"], fit) is None
    with pytest.raises(KeyError):  # other errors are not swallowed
        lowest_aic(["zzz"], fit)


def test_nest_intervals_and_plausibility() -> None:
    frame = pd.DataFrame(
        {"yhat": [0.0, 0.0], "yhat_lo_80": [1.0, -1.0], "yhat_hi_80": [2.0, 1.0]}
        | {"yhat_lo_95": [-3.0, -0.5], "yhat_hi_95": [3.0, 0.5]}
    )
    nest_intervals(frame, (95, 80))
    assert frame["yhat_lo_80"].tolist() == [0.0, -1.0]
    assert frame["yhat_lo_95"].tolist() == [-3.0, -1.0]
    assert frame["yhat_hi_95"].tolist() == [3.0, 1.0]
    history = pd.Series([1.0, 5.0, np.nan, -3.0])
    assert _is_plausible(np.array([1.0, 40.0]), history)  # 5 ranges of 8 from the median 1
    assert not _is_plausible(np.array([42.0]), history)
    assert not _is_plausible(np.array([np.nan]), history)
