"""The weighted least squares behind :mod:`forecasting.levels`: one small linear system per
chain of level periods (the growth links, balances and stated levels among them), solved
jointly with an optional drift per level series (see that module's docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from models.periods import year_earlier_periods

__all__ = [
    "BALANCE_SERIES",
    "LEVEL_GROWTH",
    "MAX_RELATIVE_SE",
    "rounding_halfwidth",
    "solve_figures",
]

#: level series -> the y/y series that links it to a year earlier
LEVEL_GROWTH: dict[str, str] = {"exports_usd_bn": "exports_yoy", "imports_usd_bn": "imports_yoy"}
BALANCE_SERIES = "balance_usd_bn"
EXPORTS_LEVEL, IMPORTS_LEVEL = "exports_usd_bn", "imports_usd_bn"
#: a level whose standard error exceeds this share of itself is left missing
MAX_RELATIVE_SE = 0.05


@lru_cache(maxsize=65536)
def rounding_halfwidth(value: float) -> float:
    """Half a unit of the last decimal ``value`` is stated to (0.005 for 41.65, 0.5 for 173).

    A float cannot say whether ``46.0`` was written ``46`` or ``46.0``: the shorter reading is
    taken (the wider rounding), so a check built on it never flags a figure's own rounding.
    """
    v = abs(float(value))
    for decimals in range(7):
        scaled = v * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return 0.5 * 10.0**-decimals
    return 0.5e-7


@dataclass(frozen=True)
class _Solution:
    value: float
    se: float


LevelKey = tuple[str, pd.Period]
DRIFT_SERIES = tuple(LEVEL_GROWTH)  # one drift unknown per level series


@dataclass
class _Chain:
    """One chain's weighted relations ``a·x + d·drift ≈ b`` over its (series, period)
    unknowns ``x`` (rows already divided by their sd)."""

    unknowns: list[LevelKey]
    a: np.ndarray
    b: np.ndarray
    d: np.ndarray


def _chain_system(
    figures: Mapping[LevelKey, float],
    scale: Mapping[LevelKey, float],
    default_scale: float,
    revision_sd: float,
) -> _Chain:
    """The relations among the figures of one chain (see the module docstring)."""
    index: dict[LevelKey, int] = {}

    def var(key: LevelKey) -> int:
        return index.setdefault(key, len(index))

    rows: list[tuple[dict[int, float], dict[int, float], float, float]] = []
    for period in sorted({p for _, p in figures}):
        for drift, (level, growth) in enumerate(LEVEL_GROWTH.items()):
            if (level, period) in figures:
                value = figures[(level, period)]
                rows.append(({var((level, period)): 1.0}, {}, value, _rounding_sd(value)))
            if (growth, period) in figures:
                factor = 1.0 + figures[(growth, period)] / 100.0
                base = [(level, b) for b in year_earlier_periods(period)]
                coef = {var((level, period)): 1.0}
                for key in base:
                    coef[var(key)] = coef.get(var(key), 0.0) - factor
                base_level = abs(sum(scale.get(key, default_scale) for key in base))
                rounding = rounding_halfwidth(figures[(growth, period)]) / 100.0 / np.sqrt(3.0)
                sd = max(np.hypot(revision_sd, rounding) * base_level, 1e-4)
                rows.append((coef, {drift: -factor * base_level}, 0.0, sd))
        if (BALANCE_SERIES, period) in figures:
            value = figures[(BALANCE_SERIES, period)]
            coef = {var((EXPORTS_LEVEL, period)): 1.0, var((IMPORTS_LEVEL, period)): -1.0}
            rows.append((coef, {}, value, _rounding_sd(value)))
    a = np.zeros((len(rows), len(index)))
    d = np.zeros((len(rows), len(DRIFT_SERIES)))
    b = np.zeros(len(rows))
    for i, (coef, drift_coef, rhs, sd) in enumerate(rows):
        for j, c in coef.items():
            a[i, j] = c / sd
        for j, c in drift_coef.items():
            d[i, j] = c / sd
        b[i] = rhs / sd
    return _Chain(sorted(index, key=index.get), a, b, d)


def _rounding_sd(value: float) -> float:
    """The sd of a stated figure's rounding error (uniform over ± half a unit)."""
    return max(rounding_halfwidth(value) / np.sqrt(3.0), 1e-4)


def _solve_chains(
    chains: list[_Chain], drift_sd: float
) -> tuple[dict[LevelKey, _Solution], np.ndarray]:
    """Joint weighted least squares of the chains and the two drifts (Schur complement: the
    chains only share the drifts), with a N(0, drift_sd²) prior on each drift.

    Returns:
        ({key: solution} for the unknowns the relations identify and whose se is within
        MAX_RELATIVE_SE of a positive value, the drift estimates).
    """
    k = len(DRIFT_SERIES)
    parts = []
    h = np.zeros((k, k)) if drift_sd <= 0 else np.eye(k) / drift_sd**2
    g = np.zeros(k)
    for chain in chains:
        if chain.a.size == 0:
            continue
        m, n = chain.a.shape
        u, s, vt = np.linalg.svd(chain.a, full_matrices=m < n)  # vt: every right vector
        tol = s.max() * max(m, n) * 1e-12 if s.size else 0.0
        rank = int(np.sum(s > tol))
        ur = u[:, :rank]
        pinv = vt[:rank].T / s[:rank] @ ur.T
        if drift_sd > 0:
            resid_d = chain.d - ur @ (ur.T @ chain.d)  # the drift columns off the chain's span
            h += chain.d.T @ resid_d
            g += resid_d.T @ chain.b
        null = vt[rank:].T
        identified = (
            np.linalg.norm(null, axis=1) < 1e-8 if null.size else np.ones(len(chain.unknowns), bool)
        )
        parts.append((chain, pinv, identified))
    drift_cov = np.linalg.pinv(h) if drift_sd > 0 else np.zeros((k, k))
    drift = drift_cov @ g
    out: dict[LevelKey, _Solution] = {}
    for chain, pinv, identified in parts:
        x = pinv @ (chain.b - chain.d @ drift)
        spread = pinv @ chain.d
        var = np.sum(pinv**2, axis=1) + np.einsum("ij,jk,ik->i", spread, drift_cov, spread)
        se = np.sqrt(np.maximum(var, 0.0))
        for j, key in enumerate(chain.unknowns):
            if identified[j] and np.isfinite(x[j]) and x[j] > 0 and se[j] <= MAX_RELATIVE_SE * x[j]:
                out[key] = _Solution(float(x[j]), float(se[j]))
    return out, drift


def solve_figures(
    by_chain: Mapping[int, Mapping[LevelKey, float]], revision_sd: float, drift_sd: float
) -> tuple[dict[LevelKey, _Solution], np.ndarray]:
    """Two passes: the growth links' sd (and drift coefficient) need the base level, first
    guessed (the median stated level), then taken from the first pass."""
    stated = [v for fig in by_chain.values() for (s, _), v in fig.items() if s in LEVEL_GROWTH]
    default = float(np.median(stated)) if stated else 100.0
    first, _ = _solve_chains(
        [_chain_system(f, {}, default, revision_sd) for f in by_chain.values()], drift_sd
    )
    scale = {key: sol.value for key, sol in first.items()}
    return _solve_chains(
        [_chain_system(f, scale, default, revision_sd) for f in by_chain.values()], drift_sd
    )
