"""Inputs prepared once per origin (models/shared_inputs.py): the same figures as a model
preparing its own, computed once within a scope, never shared across scopes or models' copies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.nowcast import nowcast_inputs
from models.shared_inputs import content_key, history_gaps_imputed, shared, shared_inputs


def _per_gap_reference(frame: pd.DataFrame, last: pd.Period) -> pd.DataFrame:
    """The gap filling as the models did it before (one OLS fit per gap, in pandas)."""
    out = frame.copy()
    hist = frame.loc[:last]
    for name in frame.columns:
        others = [c for c in frame.columns if c != name]
        for period in hist.index[hist[name].isna()]:
            avail = [c for c in others if pd.notna(hist.at[period, c])]
            if not avail:
                continue
            rows = hist[[name, *avail]].dropna()
            if len(rows) < max(12, 3 * (len(avail) + 1)):
                continue
            design = np.column_stack([np.ones(len(rows)), rows[avail].to_numpy()])
            coef, *_ = np.linalg.lstsq(design, rows[name].to_numpy(), rcond=None)
            point = np.concatenate([[1.0], hist.loc[period, avail].to_numpy(dtype=float)])
            out.at[period, name] = float(point @ coef)
    return out


def _sparse_frame(seed: int, n: int = 90, k: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=n).cumsum()
    values = np.column_stack([base + rng.normal(scale=0.5, size=n) for _ in range(k)])
    values[rng.random((n, k)) < 0.2] = np.nan  # scattered gaps
    values[:15, 0] = np.nan  # a late-starting column
    values[-3:, 1:] = np.nan  # the ragged edge
    index = pd.period_range("2015-01", periods=n, freq="M")
    return pd.DataFrame(values, index=index, columns=[f"x{i}" for i in range(k)])


@pytest.mark.parametrize("seed", range(6))
def test_gap_filling_equals_one_fit_per_gap(seed: int) -> None:
    frame = _sparse_frame(seed)
    last = frame.index[-4]
    got = history_gaps_imputed(frame, last)
    want = _per_gap_reference(frame, last)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert got.index.equals(frame.index) and list(got.columns) == list(frame.columns)
    # something was filled, and nothing after the history's last month
    assert got.loc[:last].isna().sum().sum() < frame.loc[:last].isna().sum().sum()
    pd.testing.assert_frame_equal(got.loc[last + 1 :], frame.loc[last + 1 :])


def test_too_few_rows_leave_the_gap() -> None:
    frame = _sparse_frame(0, n=20)
    got = history_gaps_imputed(frame, frame.index[-1])
    np.testing.assert_array_equal(np.isnan(got.to_numpy()), np.isnan(frame.to_numpy()))


def test_shared_computes_once_per_scope_and_hands_out_copies() -> None:
    calls: list[int] = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"a": [1.0, 2.0]})

    with shared_inputs():
        first = shared("k", compute, lambda f: f.copy())
        first.loc[0, "a"] = 99.0  # a model changing its copy
        second = shared("k", compute, lambda f: f.copy())
    assert len(calls) == 1
    assert second.loc[0, "a"] == 1.0
    with shared_inputs():  # a new origin computes afresh
        shared("k", compute, lambda f: f.copy())
    shared("k", compute, lambda f: f.copy())  # outside any scope: nothing is kept
    assert len(calls) == 3


def test_content_key_follows_values_not_objects() -> None:
    frame = _sparse_frame(1)
    assert content_key(frame) == content_key(frame.copy())
    changed = frame.copy()
    changed.iloc[5, 2] = 0.123
    assert content_key(changed) != content_key(frame)
    shifted = frame.set_axis(frame.index + 1)
    assert content_key(shifted) != content_key(frame)
    assert content_key(frame.rename(columns={"x0": "y0"})) != content_key(frame)


def test_nowcast_inputs_shared_within_an_origin_equal_the_unshared_ones() -> None:
    frame = _sparse_frame(2)
    history = pd.Series(
        frame["x1"].to_numpy() * 0.5 + 1.0, index=frame.index, name="exports_yoy"
    ).loc[: frame.index[-4]]
    history = history.fillna(0.0)
    alone = nowcast_inputs(history, frame, list(frame.columns), "dynreg")
    with shared_inputs():
        a = nowcast_inputs(history, frame, list(frame.columns), "dynreg")
        a.frame.iloc[:, :] = 0.0  # one model's copy
        b = nowcast_inputs(history, frame.copy(), list(frame.columns), "bridge")
    assert b.used == alone.used
    pd.testing.assert_frame_equal(b.frame, alone.frame)
