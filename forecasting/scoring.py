"""Scores of interval and probabilistic forecasts, and P(beat) reliability (pure functions).

- :func:`interval_score`: the Winkler (interval) score of a central interval.
- :func:`gaussian_crps`: the CRPS of a Gaussian predictive distribution (the "before" case:
  the Gaussian read off a forecast's 80% band, as ``forecasting.compare`` does).
- :func:`interval_table`: per model, MAE, coverage, mean width, interval score and CRPS.
- :func:`brier_score`, :func:`reliability_table`, :func:`reliability_png`: how far a
  P(actual > consensus) can be trusted (binned predicted probability against the observed
  frequency; the PNG uses matplotlib's Agg backend and returns the file path).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from forecasting.compare import predictive_sd
from models.gaussian import norm_cdf, norm_pdf, norm_ppf

__all__ = [
    "brier_score",
    "gaussian_crps",
    "gaussian_sd_from_80",
    "interval_score",
    "interval_table",
    "reliability_png",
    "reliability_table",
]


def interval_score(
    lo: np.ndarray | float, hi: np.ndarray | float, y: np.ndarray | float, level: float
) -> np.ndarray:
    """Winkler's interval score of the central ``level``% interval ``[lo, hi]`` for outcome
    ``y``: ``(hi − lo) + 2/α·(lo − y)⁺ + 2/α·(y − hi)⁺`` with ``α = 1 − level/100`` (lower is
    better; a proper score for those quantiles)."""
    lo, hi, y = (np.asarray(v, dtype=float) for v in (lo, hi, y))
    alpha = 1.0 - level / 100.0
    return (hi - lo) + 2.0 / alpha * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0))


#: the sd of the Gaussian whose central 80% interval is ``[lo_80, hi_80]``
gaussian_sd_from_80 = predictive_sd


def gaussian_crps(
    mean: np.ndarray | float, sd: np.ndarray | float, y: np.ndarray | float
) -> np.ndarray:
    """CRPS of ``N(mean, sd²)`` for outcome ``y`` (closed form; lower is better)."""
    mean, sd, y = (np.asarray(v, dtype=float) for v in (mean, sd, y))
    sd = np.maximum(sd, 1e-9)
    z = (y - mean) / sd
    return sd * (z * (2 * norm_cdf(z) - 1) + 2 * norm_pdf(z) - 1 / np.sqrt(np.pi))


def interval_table(frame: pd.DataFrame, levels: Sequence[int] = (80, 95)) -> pd.DataFrame:
    """Per model, over rows with a forecast and an actual: ``n, mae``, then per level
    ``cov{L}`` (share of actuals inside), ``width{L}`` (mean width), ``is{L}`` (mean interval
    score); ``crps``: the mean of the frame's ``crps`` column when it has one, else of the
    Gaussian read off each row's 80% band.

    Returns:
        DataFrame indexed by model, in first-appearance order.
    """
    rows = []
    for model, g in frame.groupby("model", sort=False):
        g = g[g["yhat"].notna() & g["actual"].notna()]
        if g.empty:
            continue
        y = g["actual"].to_numpy(dtype=float)
        rec: dict[str, object] = {
            "model": model,
            "n": len(g),
            "mae": float(np.abs(g["yhat"].to_numpy(dtype=float) - y).mean()),
        }
        for level in levels:
            lo = g[f"yhat_lo_{level}"].to_numpy(dtype=float)
            hi = g[f"yhat_hi_{level}"].to_numpy(dtype=float)
            rec[f"cov{level}"] = float(((y >= lo) & (y <= hi)).mean())
            rec[f"width{level}"] = float((hi - lo).mean())
            rec[f"is{level}"] = float(interval_score(lo, hi, y, level).mean())
        if "crps" in g and g["crps"].notna().all():
            rec["crps"] = float(g["crps"].mean())
        else:
            sd = gaussian_sd_from_80(g["yhat_lo_80"], g["yhat_hi_80"])
            rec["crps"] = float(gaussian_crps(g["yhat"], sd, y).mean())
        rows.append(rec)
    return pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()


def brier_score(prob: np.ndarray | Sequence[float], outcome: np.ndarray | Sequence[float]) -> float:
    """Mean of ``(p − o)²`` over pairs where both are finite (NaN if none)."""
    p = np.asarray(prob, dtype=float)
    o = np.asarray(outcome, dtype=float)
    ok = np.isfinite(p) & np.isfinite(o)
    return float(np.mean((p[ok] - o[ok]) ** 2)) if ok.any() else float("nan")


def reliability_table(
    prob: np.ndarray | Sequence[float],
    outcome: np.ndarray | Sequence[float],
    bins: int = 5,
) -> pd.DataFrame:
    """Binned predicted probability against the observed frequency.

    Args:
        prob: predicted P(event) per forecast.
        outcome: 1 where the event happened (the print beat the consensus), else 0.
        bins: equal-width bins on [0, 1] (the last bin includes 1).

    Returns:
        DataFrame with one row per bin: ``bin`` (e.g. ``0.0-0.2``), ``n``, ``mean_prob``
        (mean predicted probability in the bin), ``observed`` (share of events; NaN for an
        empty bin) and ``lo, hi`` (the Wilson 90% interval of ``observed``).
    """
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    p = np.asarray(prob, dtype=float)
    o = np.asarray(outcome, dtype=float)
    ok = np.isfinite(p) & np.isfinite(o)
    p, o = p[ok], o[ok]
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    z = float(norm_ppf(0.95))
    rows = []
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        freq = float(o[inside].mean()) if n else float("nan")
        if n:
            centre = (freq + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(freq * (1 - freq) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            lo, hi = centre - half, centre + half
        else:
            lo = hi = float("nan")
        rows.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "n": n,
                "mean_prob": float(p[inside].mean()) if n else float("nan"),
                "observed": freq,
                "lo": lo,
                "hi": hi,
            }
        )
    return pd.DataFrame(rows)


def reliability_png(
    tables: dict[str, pd.DataFrame], path: Path | str, title: str = "P(beat) reliability"
) -> Path:
    """Draw reliability diagrams (one line per :func:`reliability_table`, keyed by label) to
    ``path`` with matplotlib's Agg backend.

    Returns:
        the path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=110)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    for label, table in tables.items():
        t = table[table["n"] > 0]
        ax.errorbar(
            t["mean_prob"],
            t["observed"],
            yerr=[
                np.maximum(t["observed"] - t["lo"], 0.0),
                np.maximum(t["hi"] - t["observed"], 0.0),
            ],
            marker="o",
            capsize=3,
            label=f"{label} (n={int(t['n'].sum())})",
        )
        for x, y, n in zip(t["mean_prob"], t["observed"], t["n"], strict=True):
            ax.annotate(
                str(int(n)), (x, y), textcoords="offset points", xytext=(5, -10), fontsize=7
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted P(actual > consensus)")
    ax.set_ylabel("observed frequency")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
