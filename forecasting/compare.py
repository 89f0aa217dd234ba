"""Model versus consensus: surprise probability and the scoreboard (pure functions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.gaussian import Z80, norm_cdf

__all__ = [
    "beat_probabilities",
    "predictive_sd",
    "reliability",
    "scoreboard",
    "surprise_probability",
]


def predictive_sd(lo_80: float | np.ndarray, hi_80: float | np.ndarray) -> np.ndarray:
    """The sd of the Gaussian whose central 80% interval is ``[lo_80, hi_80]``."""
    return (np.asarray(hi_80, dtype=float) - np.asarray(lo_80, dtype=float)) / (2 * Z80)


def surprise_probability(
    yhat: float | np.ndarray,
    lo_80: float | np.ndarray,
    hi_80: float | np.ndarray,
    consensus: float | np.ndarray,
) -> np.ndarray:
    """P(actual > consensus) under the forecast's predictive distribution, taken as the
    Gaussian with the forecast's mean and 80% interval."""
    sd = np.maximum(predictive_sd(lo_80, hi_80), 1e-9)
    return 1.0 - norm_cdf((np.asarray(consensus, float) - np.asarray(yhat, float)) / sd)


def scoreboard(frame: pd.DataFrame, consensus: pd.Series) -> pd.DataFrame:
    """Each model against the consensus over periods that have a consensus and an actual.

    ``frame``: backtest rows (``period, model, yhat, yhat_lo_80, yhat_hi_80, actual``);
    ``consensus``: value per period. Columns: ``n, mae, rmse, mae_ratio`` (model MAE /
    consensus MAE on the same periods), ``win_rate`` (model strictly closer than consensus),
    ``direction_hit`` (sign(model − consensus) = sign(actual − consensus), over periods where
    both differ from the consensus), ``brier`` (of P(actual > consensus)), ``cov80`` and
    ``cov95`` (interval coverage); a last row ``consensus`` holds the consensus's own MAE and
    RMSE.

    Returns:
        DataFrame indexed by model.
    """
    f = frame[frame["actual"].notna()].copy()
    f["consensus"] = f["period"].map(consensus)
    f = f[f["consensus"].notna()]
    rows = []
    for model, g in f.groupby("model", sort=False):
        g = g[g["yhat"].notna()]
        if g.empty:
            continue
        err = g["yhat"] - g["actual"]
        cerr = g["consensus"] - g["actual"]
        surprise = np.sign(g["actual"] - g["consensus"])
        view = np.sign(g["yhat"] - g["consensus"])
        both = (surprise != 0) & (view != 0)
        p = beat_probabilities(g)
        beat = (g["actual"] > g["consensus"]).astype(float)
        rows.append(
            {
                "model": model,
                "n": len(g),
                "mae": err.abs().mean(),
                "rmse": float(np.sqrt((err**2).mean())),
                "mae_ratio": err.abs().mean() / cerr.abs().mean()
                if cerr.abs().mean() > 0
                else np.nan,
                "win_rate": float((err.abs() < cerr.abs()).mean()),
                "direction_hit": float((view[both] == surprise[both]).mean())
                if both.any()
                else np.nan,
                "brier": float(np.mean((p - beat.to_numpy()) ** 2)),
                "cov80": _coverage(g, 80),
                "cov95": _coverage(g, 95),
            }
        )
    periods = f.drop_duplicates("period")
    cerr = periods["consensus"] - periods["actual"]
    rows.append(
        {
            "model": "consensus",
            "n": len(periods),
            "mae": cerr.abs().mean(),
            "rmse": float(np.sqrt((cerr**2).mean())) if len(periods) else np.nan,
            "mae_ratio": 1.0 if len(periods) else np.nan,
            "win_rate": np.nan,
            "direction_hit": np.nan,
            "brier": np.nan,
            "cov80": np.nan,
            "cov95": np.nan,
        }
    )
    return pd.DataFrame(rows).set_index("model")


def beat_probabilities(rows: pd.DataFrame) -> np.ndarray:
    """Each row's P(actual > consensus): its ``p_beat`` (from the calibrated distribution, as
    the backtest computes it) where it has one, else the Gaussian of its 80% band."""
    gauss = surprise_probability(
        rows["yhat"], rows["yhat_lo_80"], rows["yhat_hi_80"], rows["consensus"]
    )
    if "p_beat" not in rows:
        return np.asarray(gauss, dtype=float)
    own = pd.to_numeric(rows["p_beat"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(own), own, gauss)


def reliability(frame: pd.DataFrame, consensus: pd.Series) -> dict[str, pd.DataFrame]:
    """Per model, the reliability table of its P(beat) over the periods with a poll and an
    actual (:func:`forecasting.scoring.reliability_table`)."""
    from forecasting.scoring import reliability_table

    f = frame[frame["actual"].notna() & frame["yhat"].notna()].copy()
    f["consensus"] = f["period"].map(consensus)
    f = f[f["consensus"].notna()]
    return {
        str(model): reliability_table(beat_probabilities(g), (g["actual"] > g["consensus"]))
        for model, g in f.groupby("model", sort=False)
    }


def _coverage(g: pd.DataFrame, level: int) -> float:
    if f"yhat_lo_{level}" not in g or f"yhat_hi_{level}" not in g:
        return np.nan
    inside = (g["actual"] >= g[f"yhat_lo_{level}"]) & (g["actual"] <= g[f"yhat_hi_{level}"])
    return float(inside.mean())
