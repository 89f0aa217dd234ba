"""The stacked quantile search and CRPS (forecasting.calibration_batch) give exactly what the
one-row-at-a-time definitions give: ``PredictiveDistribution.quantile`` and ``.crps`` for every
row, and :func:`calibrate_frame` the intervals ``row_distribution(row).interval(level)`` and
scores ``.crps(actual)``."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting.calibration import (
    CalibrationSettings,
    PredictiveDistribution,
    forecast_errors,
    release_dates_from_backtest,
)
from forecasting.calibration_batch import batch_crps, batch_quantiles
from forecasting.calibration_frame import calibrate_frame, row_distribution


def random_distributions(rng: np.random.Generator, count: int) -> list[PredictiveDistribution]:
    """Distributions of several sizes (so several stacks), centres and bandwidths, some with
    bandwidth 0 (the empirical distribution)."""
    out = []
    for _ in range(count):
        n = int(rng.choice([1, 3, 7, 8, 24, 72, 129]))
        bandwidth = 0.0 if rng.random() < 0.15 else float(rng.uniform(0.01, 5.0))
        out.append(
            PredictiveDistribution(
                float(rng.normal(0, 20)), rng.standard_t(3, n) * rng.uniform(0.1, 10), bandwidth
            )
        )
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_quantiles_equal_the_scalar_quantiles_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dists = random_distributions(rng, 300)
    probs = rng.uniform(0.001, 0.999, (len(dists), 4))
    probs[:, 0] = 0.1  # a shared probability too, as the nominal levels are
    got = batch_quantiles(dists, probs)
    want = np.array([d.quantile(p) for d, p in zip(dists, probs, strict=True)])
    assert got.shape == want.shape
    assert np.array_equal(got, want), float(np.max(np.abs(got - want)))


@pytest.mark.parametrize("seed", [0, 1])
def test_batch_crps_equals_the_scalar_crps_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    dists = random_distributions(rng, 200)
    outcomes = rng.normal(0, 25, len(dists))
    got = batch_crps(dists, outcomes)
    want = np.array([d.crps(float(y)) for d, y in zip(dists, outcomes, strict=True)])
    assert np.array_equal(got, want), float(np.max(np.abs(got - want)))


def test_batch_quantiles_stacks_in_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecasting.calibration_batch as cb

    monkeypatch.setattr(cb, "_CHUNK", 5)  # many chunks of one size
    rng = np.random.default_rng(7)
    dists = [PredictiveDistribution(float(c), rng.normal(0, 3, 24), 0.7) for c in range(23)]
    probs = np.tile([0.05, 0.95, 0.1, 0.9], (23, 1))
    want = np.array([d.quantile(p) for d, p in zip(dists, probs, strict=True)])
    assert np.array_equal(cb.batch_quantiles(dists, probs), want)


def test_batch_quantiles_rejects_bad_probabilities() -> None:
    dist = PredictiveDistribution(0.0, np.array([1.0, -1.0]), 0.5)
    with pytest.raises(ValueError, match=r"in \(0, 1\)"):
        batch_quantiles([dist], np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="shape"):
        batch_quantiles([dist, dist], np.array([[0.5, 0.6]]))


def two_model_backtest(n: int = 90, seed: int = 0) -> pd.DataFrame:
    """Two models, one origin per month, some failed rows and some rows two steps ahead."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2012-01", periods=n, freq="M")
    rows = []
    for model, sd in (("a", 2.0), ("b", 5.0)):
        for p in periods:
            yhat = float(rng.normal(0, 6))
            half = float(rng.uniform(1, 15))
            rows.append(
                {
                    "model": model,
                    "period": str(p),
                    "as_of": (p + 1).to_timestamp().date() + timedelta(days=8),
                    "yhat": np.nan if rng.random() < 0.05 else yhat,
                    "yhat_lo_80": yhat - half,
                    "yhat_hi_80": yhat + half,
                    "yhat_lo_95": yhat - 1.6 * half,
                    "yhat_hi_95": yhat + 1.6 * half,
                    "actual": yhat + float(rng.normal(0.5, sd)),
                    "horizon": 2 if rng.random() < 0.2 else 1,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "settings",
    [
        CalibrationSettings(window=36, min_errors=12, jan_feb_window=12),
        CalibrationSettings(window=24, min_errors=8, method="scaled", levels=(50, 80, 95)),
        CalibrationSettings(window=30, min_errors=10, method="signed", bandwidth=0.0),
    ],
)
def test_calibrate_frame_bounds_equal_each_rows_own_interval(
    settings: CalibrationSettings,
) -> None:
    frame = two_model_backtest()
    for level in settings.levels:
        if f"yhat_lo_{level}" not in frame:
            frame[f"yhat_lo_{level}"] = frame["yhat_lo_80"] - 1.0
            frame[f"yhat_hi_{level}"] = frame["yhat_hi_80"] + 1.0
    released = release_dates_from_backtest(frame)
    out = calibrate_frame(frame, released, settings)
    errors = forecast_errors(frame, released)
    checked = 0
    for i, row in frame.iterrows():  # the reference: one row's distribution at a time
        dist = row_distribution(row, errors, settings) if pd.notna(row["yhat"]) else None
        assert bool(out.at[i, "calibrated"]) == (dist is not None)
        for level in settings.levels:
            lo, hi = (
                dist.interval(level)
                if dist is not None
                else (row[f"yhat_lo_{level}"], row[f"yhat_hi_{level}"])
            )
            assert out.at[i, f"yhat_lo_{level}"] == lo
            assert out.at[i, f"yhat_hi_{level}"] == hi
        want_crps = dist.crps(float(row["actual"])) if dist is not None else np.nan
        assert out.at[i, "crps"] == want_crps or (dist is None and np.isnan(out.at[i, "crps"]))
        checked += dist is not None
    assert checked > 100  # most rows were calibrated, so the comparison means something
