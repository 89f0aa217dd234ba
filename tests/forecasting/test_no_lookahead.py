"""No look-ahead: figures released on or after ``as_of`` cannot move a forecast made as of it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecasting.origin import member_forecasts
from forecasting.snapshot_loader import SNAPSHOT_OBSERVATIONS, snapshot_path
from models.registry import MODEL_PATHS, is_cross_target, model_class

FITTED = [
    a
    for a in MODEL_PATHS
    if not getattr(model_class(a), "combines", False)
    and not is_cross_target(a)
    and model_class(a).takes("yoy")
]
UNIVARIATE = [a for a in FITTED if not model_class(a).supports_exog]


@pytest.fixture(scope="module")
def observations() -> pd.DataFrame:
    f = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype={"period": str})
    f["released"] = pd.to_datetime(f["released"]).dt.date
    return f


def forecast_at(obs: pd.DataFrame, target: str, period: str, as_of: date, aliases) -> pd.DataFrame:
    """The members' rows for ``period`` at the origin (what the backtest records)."""
    rows = member_forecasts(obs, target, period, as_of, aliases).rows
    return rows[rows["period"] == period].reset_index(drop=True)


def _perturb(obs: pd.DataFrame, as_of: date, shift: float, delay: int, extra: bool) -> pd.DataFrame:
    """Change every figure released on/after ``as_of``: value, release date, and add rows."""
    out = obs.copy()
    late = out["released"] >= as_of
    out.loc[late, "value"] = out.loc[late, "value"] + shift
    out.loc[late, "released"] = [d + timedelta(days=delay) for d in out.loc[late, "released"]]
    if extra:
        fake = out[late].copy()
        fake["released"] = as_of  # a revision published exactly at as_of: still not visible
        fake["value"] = fake["value"] * -1.5
        out = pd.concat([out, fake], ignore_index=True)
    return out


#: every fitted model at each example (a minute or two in all): three examples of the four
#: periods, with the perturbation drawn anew each time
@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    period=st.sampled_from(["2019-06", "2021-02", "2023-11", "2025-12"]),
    shift=st.floats(-50, 50, allow_nan=False).filter(lambda x: abs(x) > 0.1),
    delay=st.integers(0, 40),
    extra=st.booleans(),
)
def test_later_figures_do_not_change_forecasts(observations, period, shift, delay, extra) -> None:
    released = observations.query("series == 'exports_yoy' and period == @period")["released"]
    as_of = released.min() - timedelta(days=1)
    base = forecast_at(observations, "exports_yoy", period, as_of, FITTED)
    changed = forecast_at(
        _perturb(observations, as_of, shift, delay, extra), "exports_yoy", period, as_of, FITTED
    )
    # not vacuous: the univariate models all forecast; any model that fails, fails the same way
    ok = base.loc[base["error"].isna(), "model"]
    assert set(UNIVARIATE) <= set(ok), base.loc[base["error"].notna(), ["model", "error"]]
    cols = ["model", "yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95", "error"]
    pd.testing.assert_frame_equal(base[cols], changed[cols])


def test_an_earlier_figure_does_change_the_forecast(observations) -> None:
    """The same harness detects look-ahead: a change before as_of moves the naive forecast."""
    period = "2023-11"
    as_of = observations.query("series == 'exports_yoy' and period == @period")[
        "released"
    ].min() - timedelta(days=1)
    base = forecast_at(observations, "exports_yoy", period, as_of, ["naive"])
    obs = observations.copy()
    last = (obs["series"] == "exports_yoy") & (obs["period"] == "2023-10")
    obs.loc[last, "value"] += 10
    moved = forecast_at(obs, "exports_yoy", period, as_of, ["naive"])
    assert np.isclose(moved["yhat"].item() - base["yhat"].item(), 10)
