"""Interval and probability scores, reliability tables and the reliability PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from forecasting.scoring import (
    brier_score,
    gaussian_crps,
    interval_score,
    interval_table,
    reliability_png,
    reliability_table,
)


def test_interval_score_is_width_plus_the_penalised_miss() -> None:
    # inside: the width alone; 2 below an 80% interval: width + 2/0.2 * 2
    assert interval_score(-1.0, 3.0, 0.0, 80) == pytest.approx(4.0)
    assert interval_score(-1.0, 3.0, -3.0, 80) == pytest.approx(4.0 + 10.0 * 2.0)
    assert interval_score(-1.0, 3.0, 4.0, 95) == pytest.approx(4.0 + 40.0 * 1.0)


def test_gaussian_crps_matches_its_integral() -> None:
    mean, sd, y = 1.0, 2.0, 3.5
    below, _ = integrate.quad(lambda x: stats.norm.cdf(x, mean, sd) ** 2, -np.inf, y)
    above, _ = integrate.quad(lambda x: stats.norm.sf(x, mean, sd) ** 2, y, np.inf)
    assert float(gaussian_crps(mean, sd, y)) == pytest.approx(below + above, abs=1e-8)


def test_interval_table_per_model() -> None:
    frame = pd.DataFrame(
        {
            "model": ["a", "a", "b"],
            "yhat": [0.0, 0.0, 1.0],
            "yhat_lo_80": [-1.0, -1.0, 0.0],
            "yhat_hi_80": [1.0, 1.0, 2.0],
            "yhat_lo_95": [-2.0, -2.0, -1.0],
            "yhat_hi_95": [2.0, 2.0, 3.0],
            "actual": [0.5, 1.5, np.nan],
        }
    )
    t = interval_table(frame)
    assert list(t.index) == ["a"]  # b has no actual
    assert t.loc["a", "cov80"] == 0.5 and t.loc["a", "cov95"] == 1.0
    assert t.loc["a", "width80"] == 2.0
    assert t.loc["a", "is80"] == pytest.approx((2.0 + (2.0 + 10.0 * 0.5)) / 2)
    assert t.loc["a", "mae"] == pytest.approx(1.0)


def test_brier_and_reliability_bins() -> None:
    p = np.array([0.1, 0.15, 0.5, 0.55, 0.9, 0.95, np.nan])
    o = np.array([0, 1, 1, 0, 1, 1, 1])
    assert brier_score(p, o) == pytest.approx(np.mean((p[:6] - o[:6]) ** 2))
    t = reliability_table(p, o, bins=5)
    assert t["n"].tolist() == [2, 0, 2, 0, 2]
    assert t.loc[0, "observed"] == 0.5 and t.loc[4, "observed"] == 1.0
    assert np.isnan(t.loc[1, "observed"])
    assert (t.loc[t["n"] > 0, "lo"] <= t.loc[t["n"] > 0, "observed"] + 1e-12).all()
    assert t.loc[0, "mean_prob"] == pytest.approx(0.125)


def test_reliability_png_writes_a_png(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200)
    o = (rng.uniform(size=200) < p).astype(float)
    out = reliability_png({"model": reliability_table(p, o)}, tmp_path / "rel.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
