"""Quantiles of many calibrated distributions at once, bit for bit what
:meth:`forecasting.calibration.PredictiveDistribution.quantile` gives one by one.

:func:`forecasting.calibration_frame.calibrate_frame` asks for the interval bounds of every
row of a backtest: a bisection of 60 steps on each row's mixture CDF, 60 small NumPy calls per
row. :func:`batch_quantiles` runs the same bisection for all rows together: the rows with the
same number of points are stacked, and every step evaluates the CDFs of the whole stack in one
call with the same element-wise arithmetic (``erf`` of ``(x − point) / (bandwidth·√2)``, the
mean over each row's points, in their order, along the last axis of a C-contiguous array),
so every bound is the float the scalar method returns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from forecasting.calibration import _SQRT2, PredictiveDistribution, _gauss_abs_mean

__all__ = ["batch_crps", "batch_quantiles"]

#: the bisection steps of :meth:`PredictiveDistribution.quantile`
_STEPS = 60
#: rows per stacked evaluation (bounds the temporary arrays to a few MB)
_CHUNK = 2048


def batch_quantiles(dists: Sequence[PredictiveDistribution], probs: np.ndarray) -> np.ndarray:
    """``out[r] = dists[r].quantile(probs[r])`` for every row ``r``.

    Args:
        dists: the distributions.
        probs: shape ``(len(dists), P)``: each row's probabilities, in (0, 1).

    Returns:
        array ``(len(dists), P)`` of quantiles, equal to the one-by-one results.

    Raises:
        ValueError: a probability outside (0, 1), or ``probs`` not one row per distribution.
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[0] != len(dists):
        raise ValueError(f"probs must have shape ({len(dists)}, P), got {p.shape}")
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError(f"probabilities must be in (0, 1), got {p[(p <= 0) | (p >= 1)]}")
    out = np.empty(p.shape)
    by_size: dict[int, list[int]] = {}
    for r, dist in enumerate(dists):
        if dist.bandwidth == 0:  # exact order statistics: no search
            out[r] = dist.quantile(p[r])
        else:
            by_size.setdefault(len(dist.deviations), []).append(r)
    for rows in by_size.values():
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            out[chunk] = _bisect([dists[r] for r in chunk], p[chunk])
    return out


def _bisect(dists: Sequence[PredictiveDistribution], p: np.ndarray) -> np.ndarray:
    """The quantile bisection of distributions with equally many points, stacked."""
    points = np.stack([d.points for d in dists])  # (G, n), each row in its own order
    bandwidth = np.array([d.bandwidth for d in dists], dtype=float)
    ordered = np.sort(points, axis=1)
    shape = p.shape
    lo = np.broadcast_to((ordered[:, 0] - 10 * bandwidth)[:, None], shape).copy()
    hi = np.broadcast_to((ordered[:, -1] + 10 * bandwidth)[:, None], shape).copy()
    scale = (bandwidth * _SQRT2)[:, None, None]
    work = np.empty((*shape, points.shape[1]))  # (G, P, n), C-contiguous, reused every step
    for _ in range(_STEPS):
        mid = 0.5 * (lo + hi)
        # cdf(mid) = 0.5 * mean(1 + erf((mid - point) / scale)), step by step in place
        np.subtract(mid[:, :, None], points[:, None, :], out=work)
        np.divide(work, scale, out=work)
        special.erf(work, out=work)
        np.add(1.0, work, out=work)
        cdf = 0.5 * work.mean(axis=2)
        below = cdf < p
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def batch_crps(dists: Sequence[PredictiveDistribution], outcomes: np.ndarray) -> np.ndarray:
    """``out[r] = dists[r].crps(outcomes[r])`` for every row ``r``, the distributions with a
    kernel and equally many points stacked (the same element-wise arithmetic; each row's means
    over its own contiguous block, as the one-by-one method takes them).

    Returns:
        array ``(len(dists),)`` of scores, equal to the one-by-one results.
    """
    y = np.asarray(outcomes, dtype=float)
    if y.shape != (len(dists),):
        raise ValueError(f"outcomes must have shape ({len(dists)},), got {y.shape}")
    out = np.empty(len(dists))
    by_size: dict[int, list[int]] = {}
    for r, dist in enumerate(dists):
        if dist.bandwidth == 0:
            out[r] = dist.crps(float(y[r]))
        else:
            by_size.setdefault(len(dist.deviations), []).append(r)
    for rows in by_size.values():
        for start in range(0, len(rows), _CHUNK // 8):  # (G, n, n) temporaries
            chunk = rows[start : start + _CHUNK // 8]
            points = np.stack([dists[r].points for r in chunk])
            sd = np.array([dists[r].bandwidth for r in chunk], dtype=float)
            first = _gauss_abs_mean(y[chunk][:, None] - points, sd[:, None]).mean(axis=1)
            pairs = points[:, :, None] - points[:, None, :]
            second = _gauss_abs_mean(pairs, (sd * _SQRT2)[:, None, None]).mean(axis=(1, 2))
            out[chunk] = first - 0.5 * second
    return out
