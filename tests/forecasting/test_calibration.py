"""Calibrated intervals from the errors known at each origin (forecasting.calibration)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from forecasting.calibration import (
    CalibrationSettings,
    forecast_errors,
    predictive_distribution,
    release_dates_from_backtest,
)
from forecasting.calibration_frame import calibrate_frame


def backtest_frame(n: int = 120, sd: float = 3.0, own_halfwidth: float = 20.0, seed: int = 0):
    """One model, one origin per month (eve of release = the 9th of the next month), errors
    N(0, sd²) and far too wide own bands."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2010-01", periods=n, freq="M")
    yhat = rng.normal(0, 5, n)
    actual = yhat + rng.normal(0, sd, n)
    as_of = [(p + 1).to_timestamp().date() + timedelta(days=8) for p in periods]
    return pd.DataFrame(
        {
            "target": "exports_yoy",
            "period": [str(p) for p in periods],
            "model": "m",
            "as_of": as_of,
            "yhat": yhat,
            "yhat_lo_80": yhat - own_halfwidth,
            "yhat_hi_80": yhat + own_halfwidth,
            "yhat_lo_95": yhat - 1.5 * own_halfwidth,
            "yhat_hi_95": yhat + 1.5 * own_halfwidth,
            "actual": actual,
        }
    )


def test_coverage_is_near_nominal_on_exchangeable_errors() -> None:
    frame = backtest_frame(n=400, sd=3.0)
    released = release_dates_from_backtest(frame)
    out = calibrate_frame(frame, released, CalibrationSettings(window=60))
    scored = out[out["calibrated"]]
    assert len(scored) > 300
    for level in (80, 95):
        inside = (scored["actual"] >= scored[f"yhat_lo_{level}"]) & (
            scored["actual"] <= scored[f"yhat_hi_{level}"]
        )
        assert inside.mean() == pytest.approx(level / 100, abs=0.04)
    # the own bands (±20 around errors of sd 3) covered everything
    width = (scored["yhat_hi_80"] - scored["yhat_lo_80"]).mean()
    assert width == pytest.approx(2 * stats.norm.ppf(0.9) * 3.0, rel=0.15)


def test_no_look_ahead_an_error_released_at_or_after_as_of_changes_nothing() -> None:
    frame = backtest_frame(n=60)
    released = release_dates_from_backtest(frame)
    origin = frame.index[40]
    out = calibrate_frame(frame, released)
    changed = frame.copy()
    later = changed["period"] >= frame.at[origin, "period"]
    changed.loc[later, "actual"] += 100.0  # every error not yet released at the origin
    again = calibrate_frame(changed, released)
    cols = ["yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]
    assert np.allclose(out.loc[origin, cols].astype(float), again.loc[origin, cols].astype(float))
    # ... while an earlier error does change it
    changed.loc[frame.index[38], "actual"] += 100.0
    moved = calibrate_frame(changed, released)
    assert not np.allclose(
        out.loc[origin, cols].astype(float), moved.loc[origin, cols].astype(float)
    )


def test_too_few_known_errors_keep_the_own_bands() -> None:
    frame = backtest_frame(n=30)
    released = release_dates_from_backtest(frame)
    out = calibrate_frame(frame, released, CalibrationSettings(min_errors=12))
    first = out.iloc[:12]
    assert not first["calibrated"].any()
    assert (first["yhat_lo_80"] == frame["yhat_lo_80"].iloc[:12]).all()
    assert first["n_errors"].tolist() == list(range(12))
    assert out.iloc[12:]["calibrated"].all()


def test_a_longer_horizon_scales_one_step_errors_by_sqrt_h() -> None:
    frame = backtest_frame(n=50)
    released = release_dates_from_backtest(frame)
    settings = CalibrationSettings(window=36, bandwidth=0.0)
    live = frame.iloc[[-1]].assign(actual=np.nan, as_of=date(2030, 1, 1))
    one = calibrate_frame(pd.concat([frame, live.assign(horizon=1)]), released, settings)
    three = calibrate_frame(pd.concat([frame, live.assign(horizon=3)]), released, settings)
    w1 = float(one.iloc[-1]["yhat_hi_80"] - one.iloc[-1]["yhat_lo_80"])
    w3 = float(three.iloc[-1]["yhat_hi_80"] - three.iloc[-1]["yhat_lo_80"])
    assert w3 == pytest.approx(np.sqrt(3) * w1)


def test_methods_absolute_is_symmetric_signed_keeps_a_bias() -> None:
    errors = np.array([1.0, 2.0, 3.0, 4.0, 5.0] * 4)
    sym = predictive_distribution(0.0, errors, CalibrationSettings(min_errors=5))
    lo, hi = sym.interval(80)
    assert lo == pytest.approx(-hi)
    signed = predictive_distribution(
        0.0, errors, CalibrationSettings(min_errors=5, method="signed", bandwidth=0.0)
    )
    assert signed.interval(80)[0] > 0  # every past miss was an under-forecast
    scaled = predictive_distribution(
        0.0,
        errors,
        CalibrationSettings(min_errors=5, method="scaled", bandwidth=0.0),
        scales=np.full(20, 2.0),
        scale_now=4.0,
    )
    assert scaled.interval(80)[1] == pytest.approx(2 * sym_raw_hi(errors))
    assert predictive_distribution(0.0, errors[:3], CalibrationSettings(min_errors=5)) is None


def sym_raw_hi(errors: np.ndarray) -> float:
    d = predictive_distribution(0.0, errors, CalibrationSettings(min_errors=5, bandwidth=0.0))
    return d.interval(80)[1]


@pytest.mark.parametrize("bandwidth", [0.0, 1.0])
def test_crps_and_probabilities_match_the_distribution(bandwidth: float) -> None:
    errors = np.random.default_rng(2).normal(0, 2, 30)
    dist = predictive_distribution(1.0, errors, CalibrationSettings(bandwidth=bandwidth))
    y = 2.5
    # CRPS = ∫ (F(x) − 1{x ≥ y})² dx
    grid = np.linspace(-30, 30, 60001)
    f = dist.cdf(grid)
    numeric = integrate.trapezoid((f - (grid >= y)) ** 2, grid)
    assert dist.crps(y) == pytest.approx(numeric, abs=2e-3)
    assert float(dist.prob_above(y)[0]) == pytest.approx(1 - float(dist.cdf(y)[0]))
    q = dist.quantile([0.1, 0.9])
    assert float(dist.cdf(q[1])[0]) >= 0.9 - 1e-6


def test_forecast_errors_and_release_dates() -> None:
    frame = backtest_frame(n=5)
    released = release_dates_from_backtest(frame)
    assert released["2010-01"] == date(2010, 2, 10)
    errors = forecast_errors(frame, released)
    assert list(errors.columns) == [
        "model",
        "period",
        "horizon",
        "error",
        "scale",
        "as_of",
        "released",
    ]
    assert np.allclose(errors["error"], frame["actual"] - frame["yhat"])
    assert (errors["scale"] == 20.0).all()


def test_p_beat_column_from_the_consensus() -> None:
    frame = backtest_frame(n=40)
    released = release_dates_from_backtest(frame)
    consensus = pd.Series(frame["yhat"].to_numpy() - 100.0, index=frame["period"])
    out = calibrate_frame(frame, released, consensus=consensus)
    scored = out[out["calibrated"]]
    assert (scored["p_beat"] > 0.999).all()  # a consensus 100 points below every forecast
    assert out.loc[~out["calibrated"], "p_beat"].isna().all()
    assert scored["crps"].notna().all()


def test_beat_probability_calibrated_or_gaussian_fallback() -> None:
    from forecasting.calibration_frame import beat_probability
    from forecasting.compare import surprise_probability

    frame = backtest_frame(n=40, sd=3.0)
    released = release_dates_from_backtest(frame)
    errors = forecast_errors(frame, released)
    late, early = frame.iloc[-1], frame.iloc[0]
    # calibrated: errors of sd 3, consensus 3 below the forecast -> P near Φ(1) ≈ 0.84
    p = beat_probability(late, float(late["yhat"]) - 3.0, errors)
    assert 0.7 < p < 0.95
    # no known errors at the first origin: the Gaussian read off the own ±20 band
    c = float(early["yhat"]) - 3.0
    expected = surprise_probability(early["yhat"], early["yhat_lo_80"], early["yhat_hi_80"], c)
    assert beat_probability(early, c, errors) == pytest.approx(float(expected))
    assert np.isnan(beat_probability(late, float("nan"), errors))


def test_consensus_weight_and_a_shrunk_beat_probability() -> None:
    from forecasting.calibration_frame import beat_probability, consensus_weight

    d = np.array([2.0, -4.0, 6.0, -2.0] * 4)
    assert consensus_weight(d, 0.5 * d) == pytest.approx(0.5)
    assert consensus_weight(d, -d) == 0.0  # the print went the other way: clipped
    assert consensus_weight(d[:5], 0.5 * d[:5]) == 1.0  # too few polls
    frame = backtest_frame(n=40, sd=3.0)
    released = release_dates_from_backtest(frame)
    errors = forecast_errors(frame, released)
    row = frame.iloc[-1]
    c = float(row["yhat"]) - 3.0
    full = beat_probability(row, c, errors)
    half = beat_probability(row, c, errors, weight=0.5)
    none = beat_probability(row, c, errors, weight=0.0)
    assert full > half > none
    assert none == pytest.approx(0.5, abs=0.08)  # centred on the consensus itself


def test_consensus_weights_use_only_polls_released_before_the_origin() -> None:
    from forecasting.calibration_frame import consensus_weights_at

    frame = backtest_frame(n=30)
    released = release_dates_from_backtest(frame)
    # the print went half the way of the model's departure from the poll every month
    rows = frame.assign(consensus=frame["yhat"] - 4.0)
    rows["actual"] = rows["consensus"] + 2.0
    w = consensus_weights_at(rows, released)
    assert (w.iloc[:12] == 1.0).all()  # fewer than 12 polls known
    assert np.allclose(w.iloc[12:], 0.5)
    # a later print changes nothing at an earlier origin
    changed = rows.copy()
    changed.loc[changed.index[20:], "actual"] += 50.0
    assert np.allclose(consensus_weights_at(changed, released).iloc[:21], w.iloc[:21])
