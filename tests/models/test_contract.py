"""The forecast contract, checked for every registered model."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.base import FORECAST_COLUMNS, Forecaster, ModelError
from models.registry import MODEL_PATHS, create_model, model_class

ALIASES = list(MODEL_PATHS)
HORIZON = 6


@pytest.fixture(scope="module")
def history(yoy: pd.Series) -> pd.Series:
    """Ends 2024-10: a 6-step horizon crosses the combined Jan–Feb 2025."""
    return yoy.loc[:"2024-10"]


@pytest.fixture(scope="module")
def fitted(history: pd.Series) -> dict[str, tuple[Forecaster, pd.DataFrame]]:
    """Each model fitted once on a copy of ``history``, with its 6-step forecast."""
    out: dict[str, tuple[Forecaster, pd.DataFrame]] = {}
    for alias in ALIASES:
        model = create_model(alias).fit(history.copy())
        out[alias] = (model, model.predict(HORIZON))
    return out


@pytest.mark.parametrize("alias", ALIASES)
def test_frame_shape_and_periods(alias: str, fitted: dict) -> None:
    _, fc = fitted[alias]
    assert list(fc.columns) == list(FORECAST_COLUMNS)
    assert len(fc) == HORIZON
    assert fc["period"].tolist() == [
        "2024-11",
        "2024-12",
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
    ]
    assert "2025-01" not in set(fc["period"])


@pytest.mark.parametrize("alias", ALIASES)
def test_intervals_ordered_and_finite(alias: str, fitted: dict) -> None:
    _, fc = fitted[alias]
    values = fc.drop(columns="period").to_numpy(dtype=float)
    assert np.all(np.isfinite(values))
    lo95, lo80, yhat, hi80, hi95 = (
        fc[c].to_numpy() for c in ("yhat_lo_95", "yhat_lo_80", "yhat", "yhat_hi_80", "yhat_hi_95")
    )
    assert np.all(lo95 <= lo80)
    assert np.all(lo80 <= yhat)
    assert np.all(yhat <= hi80)
    assert np.all(hi80 <= hi95)
    assert np.all(hi95 - lo95 > 0), "a model on noisy data should have non-degenerate intervals"


@pytest.mark.parametrize("alias", ALIASES)
def test_does_not_mutate_input(alias: str, history: pd.Series) -> None:
    original = history.copy()
    before = history.copy()
    model = create_model(alias).fit(history)
    model.predict(3)
    pd.testing.assert_series_equal(history, before)
    pd.testing.assert_series_equal(history, original)


@pytest.mark.parametrize("alias", ALIASES)
def test_horizon_from_december_starts_at_combined_february(alias: str, yoy: pd.Series) -> None:
    fc = create_model(alias).fit(yoy.loc[:"2023-12"]).predict(2)
    assert fc["period"].tolist() == ["2024-02", "2024-03"]


@pytest.mark.parametrize("alias", ALIASES)
def test_min_history_enforced(alias: str, yoy: pd.Series) -> None:
    cls = model_class(alias)
    short = yoy.loc[:"2019-12"].iloc[: cls.min_history - 1]
    with pytest.raises(ModelError, match=rf"needs at least {cls.min_history} observations"):
        create_model(alias).fit(short)


@pytest.mark.parametrize("alias", ALIASES)
def test_fits_with_exactly_min_history(alias: str, yoy: pd.Series) -> None:
    cls = model_class(alias)
    just_enough = yoy.loc[:"2019-12"].iloc[-cls.min_history :]
    fc = create_model(alias).fit(just_enough).predict(3)
    assert len(fc) == 3
    assert np.all(np.isfinite(fc.drop(columns="period").to_numpy(dtype=float)))


@pytest.mark.parametrize("alias", ALIASES)
def test_predict_before_fit_and_bad_horizon(alias: str, fitted: dict) -> None:
    with pytest.raises(ModelError, match="before fit"):
        create_model(alias).predict(1)
    model, _ = fitted[alias]
    with pytest.raises(ModelError, match="horizon"):
        model.predict(0)


@pytest.mark.parametrize("alias", ALIASES)
def test_other_levels(alias: str, fitted: dict) -> None:
    model, fc = fitted[alias]
    other = model.predict(2, levels=(50, 99))
    assert list(other.columns) == [
        "period",
        "yhat",
        "yhat_lo_50",
        "yhat_hi_50",
        "yhat_lo_99",
        "yhat_hi_99",
    ]
    assert np.allclose(other["yhat"], fc["yhat"].iloc[:2])
    assert np.all(other["yhat_lo_99"] <= other["yhat_lo_50"])
    assert np.all(other["yhat_hi_50"] <= other["yhat_hi_99"])


@pytest.mark.parametrize("alias", ALIASES)
def test_deterministic(alias: str, history: pd.Series, fitted: dict) -> None:
    _, fc = fitted[alias]
    again = create_model(alias).fit(history).predict(HORIZON)
    pd.testing.assert_frame_equal(again, fc, rtol=1e-6)


@pytest.mark.parametrize("alias", ALIASES)
def test_declared_capabilities(alias: str) -> None:
    cls = model_class(alias)
    assert cls.alias == alias
    assert isinstance(cls.supports_exog, bool)
    assert isinstance(cls.min_history, int) and cls.min_history >= 1


@pytest.mark.parametrize("alias", ALIASES)
def test_pickle_roundtrip_predicts_the_same(alias: str, fitted: dict) -> None:
    """MLflow pickles fitted forecasters: an unpickled model must forecast identically."""
    model, fc = fitted[alias]
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.predict(HORIZON), fc)
