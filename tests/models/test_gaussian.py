"""models.gaussian equals scipy.stats.norm bit for bit (forecasts must not move)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from models.gaussian import norm_cdf, norm_pdf, norm_ppf

X = np.r_[np.linspace(-40, 40, 4001), [-np.inf, np.inf, np.nan, -0.0, 1e-300, -1e-300]]
Q = np.r_[np.linspace(0, 1, 4001), [1e-300, 1 - 1e-16, -0.1, 1.1, np.nan]]


@pytest.mark.parametrize(
    ("ours", "theirs", "grid"),
    [
        (norm_cdf, stats.norm.cdf, X),
        (norm_pdf, stats.norm.pdf, X),
        (norm_ppf, stats.norm.ppf, Q),
    ],
)
def test_equal_to_scipy_stats_bit_for_bit(ours, theirs, grid) -> None:  # noqa: ANN001
    np.testing.assert_array_equal(ours(grid), theirs(grid))
    series = pd.Series(grid[::7])
    np.testing.assert_array_equal(ours(series), theirs(series))
    assert isinstance(ours(series), np.ndarray)
    for v in (0.3, 0.9, 2, -1.5):
        got, want = ours(v), theirs(v)
        assert type(got) is type(want) and (got == want or (np.isnan(got) and np.isnan(want)))
    np.testing.assert_array_equal(ours([0.1, 0.5]), theirs([0.1, 0.5]))


def test_the_command_starts_without_scipy_stats() -> None:
    code = "import sys, forecasting.cli; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
