"""Fixtures for the model tests: small deterministic synthetic y/y series (no shared data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.periods import is_target_period


def synthetic_yoy(start: str = "2012-01", end: str = "2025-06", seed: int = 7) -> pd.Series:
    """Seasonal + cyclical + AR(1) noise, NaN on combined Januaries (2020 on)."""
    periods = pd.period_range(start, end, freq="M")
    rng = np.random.default_rng(seed)
    n = len(periods)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.7 * noise[t - 1] + rng.normal(0.0, 3.0)
    months = np.array([p.month for p in periods])
    t = np.arange(n)
    values = 5.0 + 6.0 * np.sin(2 * np.pi * t / 60) + 3.0 * np.sin(2 * np.pi * months / 12) + noise
    series = pd.Series(values, index=periods, name="exports_yoy", dtype=float)
    series[[not is_target_period(p) for p in periods]] = np.nan
    return series


@pytest.fixture(scope="session")
def yoy() -> pd.Series:
    """~160 months ending 2025-06 with NaN Januaries from 2020."""
    return synthetic_yoy()


def synthetic_balance(start: str = "2012-01", end: str = "2025-06", seed: int = 11) -> pd.Series:
    """A trade balance in USD bn: a trend, a seasonal pattern with a February slump, AR(1)
    noise; from 2020 the ``YYYY-02`` row is the January–February total and January is NaN."""
    periods = pd.period_range(start, end, freq="M")
    rng = np.random.default_rng(seed)
    n = len(periods)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.5 * noise[t - 1] + rng.normal(0.0, 6.0)
    season = {1: 25.0, 2: -15.0, 3: -5.0, 4: 5.0, 5: 10.0, 6: 12.0, 7: 15.0, 8: 15.0, 9: 8.0}
    months = np.array([p.month for p in periods])
    level = 30.0 + 0.4 * np.arange(n) + np.array([season.get(m, 12.0) for m in months]) + noise
    series = pd.Series(level, index=periods, name="balance_usd_bn", dtype=float)
    for p in periods:
        if not is_target_period(p):  # the Jan-Feb total sits on February
            series[p + 1] += series[p]
            series[p] = np.nan
    return series


@pytest.fixture(scope="session")
def balance() -> pd.Series:
    """~160 months of a synthetic balance ending 2025-06, Jan–Feb totals from 2020."""
    return synthetic_balance()
