"""Accuracy metrics (pure functions over backtest frames), per the evaluation protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["accuracy_table", "trailing_mae"]


def accuracy_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: ``n`` scored forecasts, ``failed`` origins, MAE, RMSE, bias (mean of
    forecast − actual) and 80%/95% interval coverage, over rows with an actual.

    Returns:
        DataFrame indexed by model in first-appearance order.
    """
    rows = []
    for model, g in frame.groupby("model", sort=False):
        scored = g[g["actual"].notna() & g["yhat"].notna()]
        err = scored["yhat"] - scored["actual"]
        rows.append(
            {
                "model": model,
                "n": len(scored),
                "failed": int(g["yhat"].isna().sum()),
                "mae": float(err.abs().mean()) if len(scored) else np.nan,
                "rmse": float(np.sqrt((err**2).mean())) if len(scored) else np.nan,
                "bias": float(err.mean()) if len(scored) else np.nan,
                "cov80": _coverage(scored, 80),
                "cov95": _coverage(scored, 95),
            }
        )
    return pd.DataFrame(rows).set_index("model")


def _coverage(scored: pd.DataFrame, level: int) -> float:
    if scored.empty:
        return np.nan
    inside = (scored["actual"] >= scored[f"yhat_lo_{level}"]) & (
        scored["actual"] <= scored[f"yhat_hi_{level}"]
    )
    return float(inside.mean())


def trailing_mae(frame: pd.DataFrame, months: int = 36) -> pd.Series:
    """MAE per model over the last ``months`` scored periods of the frame (champion rule)."""
    scored = frame[frame["actual"].notna()]
    periods = sorted(scored["period"].unique())[-months:]
    recent = scored[scored["period"].isin(periods)]
    err = (recent["yhat"] - recent["actual"]).abs()
    mae = err.groupby(recent["model"]).mean()
    # a model that failed at any recent origin cannot be champion on fewer points
    failed = recent[recent["yhat"].isna()]["model"].unique()
    return mae.drop(labels=[m for m in failed if m in mae.index])
