"""The speed work changes no forecast: the backtest on a fixed store and range reproduces,
to 1e-9, the rows the code made before it (``data/backtest_identity.csv``, written at
d916ee0 by ``python -m tests.forecasting.identity_fixture``; rewritten once since, when
``dynreg``'s estimator became the exact maximum likelihood of models/arma_regression.py:
only ``dynreg`` and the combinations moved, by up to 0.63 and 0.16 there)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from tests.forecasting import identity_fixture as fx

TOLERANCE = 1e-9


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Same rows in the same order, every number within TOLERANCE (NaN where NaN), the same
    failures and flags."""
    got = got.reset_index(drop=True)
    want = want.reset_index(drop=True)
    keys = ["target", "period", "model", "as_of"]
    assert got.loc[:, keys].astype(str).equals(want.loc[:, keys].astype(str))
    numeric = [c for c in want.columns if c not in keys and want[c].dtype.kind == "f"]
    assert numeric, "the reference has no numeric column"
    for col in numeric:
        a, b = got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float)
        assert (np.isnan(a) == np.isnan(b)).all(), f"{col}: NaN pattern differs"
        both = ~np.isnan(a)
        worst = float(np.max(np.abs(a[both] - b[both]), initial=0.0))
        assert worst <= TOLERANCE, f"{col}: differs by {worst:g}"
    for col in ("error", "calibrated", "reported"):
        assert got[col].astype(str).equals(want[col].astype(str)), col


@pytest.mark.parametrize("target", fx.TARGETS)
def test_backtest_reproduces_the_reference_rows(target: str) -> None:
    want = pd.read_csv(fx.REFERENCE, dtype={"period": str}, keep_default_na=True)
    want = want[want["target"] == target]
    got = fx.backtest(target)
    # through CSV like the reference (floats round-trip exactly; None and NaN read alike)
    got = pd.read_csv(io.StringIO(got.to_csv(index=False)), dtype={"period": str})
    assert_same_rows(got.loc[:, list(want.columns)], want)
