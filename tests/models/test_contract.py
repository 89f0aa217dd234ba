"""The forecast contract, checked for every registered model on every series kind it takes.

Each case is ``alias/kind``: the model on the synthetic y/y series or on the synthetic balance
(USD bn, seasonal, Jan–Feb totals from 2020), per its declared ``series_kinds``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from models.base import FORECAST_COLUMNS, Forecaster, ModelError
from models.registry import MODEL_PATHS, create_model, is_cross_target, model_class

#: every registered model fitted on its own history (the identity is computed from the other
#: targets' forecasts by the service: tests/forecasting/test_identity.py)
PATHS = {a: p for a, p in MODEL_PATHS.items() if not is_cross_target(a)}

CASES = [
    f"{alias}/{kind}"
    for alias in PATHS
    for kind in ("yoy", "balance")
    if kind in model_class(alias).series_kinds
]
HORIZON = 6


@pytest.fixture(scope="module")
def series(yoy: pd.Series, balance: pd.Series) -> dict[str, pd.Series]:
    return {"yoy": yoy, "balance": balance}


@pytest.fixture(scope="module")
def history(series: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """Ends 2024-10: a 6-step horizon crosses the combined Jan–Feb 2025."""
    return {kind: s.loc[:"2024-10"] for kind, s in series.items()}


@pytest.fixture(scope="module")
def fitted(history: dict[str, pd.Series]) -> dict[str, tuple[Forecaster, pd.DataFrame]]:
    """Each case's model fitted once on a copy of its history, with its 6-step forecast."""
    out: dict[str, tuple[Forecaster, pd.DataFrame]] = {}
    for case in CASES:
        alias, kind = case.split("/")
        model = create_model(alias).fit(history[kind].copy())
        out[case] = (model, model.predict(HORIZON))
    return out


@pytest.mark.parametrize("case", CASES)
def test_frame_shape_and_periods(case: str, fitted: dict) -> None:
    _, fc = fitted[case]
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


@pytest.mark.parametrize("case", CASES)
def test_intervals_ordered_and_finite(case: str, fitted: dict) -> None:
    _, fc = fitted[case]
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


@pytest.mark.parametrize("case", CASES)
def test_does_not_mutate_input(case: str, history: dict[str, pd.Series]) -> None:
    alias, kind = case.split("/")
    original = history[kind].copy()
    before = history[kind].copy()
    model = create_model(alias).fit(history[kind])
    model.predict(3)
    pd.testing.assert_series_equal(history[kind], before)
    pd.testing.assert_series_equal(history[kind], original)


@pytest.mark.parametrize("case", CASES)
def test_horizon_from_december_starts_at_combined_february(
    case: str, series: dict[str, pd.Series]
) -> None:
    alias, kind = case.split("/")
    fc = create_model(alias).fit(series[kind].loc[:"2023-12"]).predict(2)
    assert fc["period"].tolist() == ["2024-02", "2024-03"]


@pytest.mark.parametrize("case", CASES)
def test_min_history_enforced(case: str, series: dict[str, pd.Series]) -> None:
    alias, kind = case.split("/")
    cls = model_class(alias)
    short = series[kind].loc[:"2019-12"].iloc[: cls.min_history - 1]
    with pytest.raises(ModelError, match=rf"needs at least {cls.min_history} observations"):
        create_model(alias).fit(short)


@pytest.mark.parametrize("case", CASES)
def test_fits_with_exactly_min_history(case: str, series: dict[str, pd.Series]) -> None:
    alias, kind = case.split("/")
    cls = model_class(alias)
    just_enough = series[kind].loc[:"2019-12"].iloc[-cls.min_history :]
    fc = create_model(alias).fit(just_enough).predict(3)
    assert len(fc) == 3
    assert np.all(np.isfinite(fc.drop(columns="period").to_numpy(dtype=float)))


@pytest.mark.parametrize("case", CASES)
def test_predict_before_fit_and_bad_horizon(case: str, fitted: dict) -> None:
    with pytest.raises(ModelError, match="before fit"):
        create_model(case.split("/")[0]).predict(1)
    model, _ = fitted[case]
    with pytest.raises(ModelError, match="horizon"):
        model.predict(0)


@pytest.mark.parametrize("case", CASES)
def test_other_levels(case: str, fitted: dict) -> None:
    model, fc = fitted[case]
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


@pytest.mark.parametrize("case", CASES)
def test_deterministic(case: str, history: dict[str, pd.Series], fitted: dict) -> None:
    alias, kind = case.split("/")
    _, fc = fitted[case]
    again = create_model(alias).fit(history[kind]).predict(HORIZON)
    pd.testing.assert_frame_equal(again, fc, rtol=1e-6)


@pytest.mark.parametrize("alias", list(PATHS))
def test_declared_capabilities(alias: str) -> None:
    cls = model_class(alias)
    assert cls.alias == alias
    assert isinstance(cls.supports_exog, bool)
    assert isinstance(cls.min_history, int) and cls.min_history >= 1
    assert cls.series_kinds and cls.series_kinds <= {"yoy", "balance"}


@pytest.mark.parametrize("alias", list(PATHS))
def test_a_series_of_another_kind_is_refused(alias: str, series: dict[str, pd.Series]) -> None:
    cls = model_class(alias)
    for kind in {"yoy", "balance"} - cls.series_kinds:
        with pytest.raises(ModelError, match=rf"{alias}.*does not take .*a {kind} series"):
            create_model(alias).fit(series[kind])


@pytest.mark.parametrize("case", CASES)
def test_pickle_roundtrip_predicts_the_same(case: str, fitted: dict) -> None:
    """MLflow pickles fitted forecasters: an unpickled model must forecast identically."""
    model, fc = fitted[case]
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(clone.predict(HORIZON), fc)
