"""Regression with ARMA(p ≤ 1, q ≤ 1) errors by exact maximum likelihood, compiled.

The model ``dynreg`` estimates::

    y_t = μ + x_t'β + u_t,    u_t = φ u_{t-1} + ε_t + θ ε_{t-1},    ε_t ~ N(0, σ²),

with ``u`` started from its stationary distribution and ``y_t`` possibly missing (a missing
month is skipped by the Kalman filter, as in statsmodels' SARIMAX). It is the same Gaussian
likelihood SARIMAX(p, 0, q) with ``trend="c"`` and ``exog`` maximises (SARIMAX's constant
``c`` is ``μ(1 − φ)``), computed differently:

- The ARMA(1,1) state space (Harvey's form, state ``[u_t, θε_t]``) has a predicted state
  covariance whose only varying entry is ``p_t = Var(u_t | past)/σ²``; the filter reduces to
  a scalar recursion, compiled with numba, run once over the target and every regressor at
  once (the gains do not depend on the data).
- ``μ``, ``β`` and ``σ²`` are concentrated out: for given ``(φ, θ)`` the filter's
  standardised innovations turn the regression into ordinary least squares (GLS), and
  ``σ²`` is the mean squared standardised residual. The likelihood is maximised over
  ``(φ, θ)`` only: a grid, then L-BFGS-B from the grid's best point.

SARIMAX maximises over all ``k + 4`` parameters numerically and, with ``dynreg``'s former
``maxiter=50``, stopped before converging at every origin checked (its log-likelihood below
the maximum by 0.02–0.03); this reaches the maximum in ~1/20 of the time. Forecast
intervals, like SARIMAX's, treat the estimates as known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.optimize import minimize

__all__ = ["ArmaRegression", "compile_filter", "fit_arma_regression", "supports_order"]

#: |φ| and |θ| stay inside this bound (stationary, invertible), as SARIMAX enforces
BOUND = 0.998
_LOG_2PI = math.log(2.0 * math.pi)
_PHI_GRID = np.array([-0.9, -0.6, -0.3, 0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98])
_THETA_GRID = np.array([-0.9, -0.7, -0.5, -0.3, 0.0, 0.3, 0.6, 0.9])


def supports_order(order: tuple[int, int, int]) -> bool:
    """Whether :func:`fit_arma_regression` estimates ``order`` (``d = 0``, ``p, q ≤ 1``)."""
    p, d, q = order
    return d == 0 and p in (0, 1) and q in (0, 1)


@njit(cache=True)
def _filter(
    phi: float, theta: float, data: np.ndarray, observed: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray, float]:
    """The Kalman filter of every column of ``data`` (T × m) as an ARMA(1,1) series with unit
    innovation variance, skipping rows not ``observed``.

    Returns (the standardised innovations of the observed rows, n_obs × m; the sum of
    ``log p_t`` over them; the predicted mean of each column one step past the end; the
    predicted ``p`` there).
    """
    n_rows, m = data.shape
    n_obs = 0
    for t in range(n_rows):
        if observed[t]:
            n_obs += 1
    out = np.empty((n_obs, m))
    mean = np.zeros(m)
    p = (1.0 + 2.0 * phi * theta + theta * theta) / (1.0 - phi * phi)
    log_f = 0.0
    k = 0
    for t in range(n_rows):
        if observed[t]:
            sd = math.sqrt(p)
            for j in range(m):
                v = data[t, j] - mean[j]
                out[k, j] = v / sd
                mean[j] = phi * data[t, j] + theta * v / p
            log_f += math.log(p)
            p = 1.0 + theta * theta * (1.0 - 1.0 / p)
            k += 1
        else:
            for j in range(m):
                mean[j] = phi * mean[j]
            p = phi * phi * p + 2.0 * phi * theta + theta * theta + 1.0
    return out, log_f, mean, p


def compile_filter() -> None:
    """Compile :func:`_filter` (or load it from numba's on-disk cache) now rather than on
    the first fit (a process about to fork workers: they inherit it compiled), for the
    two memory layouts the fits pass."""
    observed = np.ones(2, dtype=np.bool_)
    for data in (np.zeros((2, 2)), np.asfortranarray(np.zeros((2, 2)))):
        _filter(0.0, 0.0, data, observed)


def _profile(
    phi: float, theta: float, data: np.ndarray, observed: np.ndarray
) -> tuple[float, np.ndarray, float, np.ndarray, float]:
    """(concentrated log-likelihood, GLS coefficients, σ², predicted means past the end,
    predicted ``p`` there) at ``(φ, θ)``; the target is ``data``'s last column."""
    w, log_f, mean, p = _filter(phi, theta, data, observed)
    n = w.shape[0]
    x, y = w[:, :-1], w[:, -1]
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / n
    if not sigma2 > 0.0:
        return -np.inf, beta, sigma2, mean, p
    llf = -0.5 * n * (_LOG_2PI + math.log(sigma2) + 1.0) - 0.5 * log_f
    return llf, beta, sigma2, mean, p


@dataclass(frozen=True)
class ArmaRegression:
    """A fitted regression with ARMA errors (see the module docstring).

    ``beta``: ``[μ, β_1, ..., β_k]``; ``params``: SARIMAX's order and meaning
    ``[c = μ(1 − φ), β..., φ (if p), θ (if q), σ²]``.
    """

    order: tuple[int, int, int]
    phi: float
    theta: float
    beta: np.ndarray
    sigma2: float
    llf: float
    nobs: int
    #: the residual ``u``'s predicted mean and ``p`` one step past the history
    u_next: float
    p_next: float

    @property
    def params(self) -> np.ndarray:
        arma = [v for v, k in ((self.phi, self.order[0]), (self.theta, self.order[2])) if k]
        const = self.beta[0] * (1.0 - self.phi)
        return np.array([const, *self.beta[1:], *arma, self.sigma2])

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * len(self.params)

    def forecast(self, exog: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sd) for the rows of ``exog`` (steps × k, the months after the history)."""
        exog = np.atleast_2d(np.asarray(exog, dtype=float))
        steps = exog.shape[0]
        mean = np.empty(steps)
        var = np.empty(steps)
        u, p = self.u_next, self.p_next
        for h in range(steps):
            mean[h] = self.beta[0] + exog[h] @ self.beta[1:] + u
            var[h] = self.sigma2 * p
            u = self.phi * u
            p = self.phi**2 * p + 2.0 * self.phi * self.theta + self.theta**2 + 1.0
        return mean, np.sqrt(var)


def fit_arma_regression(
    y: np.ndarray, exog: np.ndarray, order: tuple[int, int, int] = (1, 0, 1)
) -> ArmaRegression:
    """Fit ``y`` (NaN = missing) on ``exog`` (T × k, finite) plus a constant with
    ARMA(``order``) errors by exact maximum likelihood.

    Raises:
        ValueError: an order :func:`supports_order` refuses, shapes that do not match, a
            non-finite regressor, or fewer observations than coefficients.
    """
    if not supports_order(order):
        raise ValueError(f"order {order} is not ARMA(p ≤ 1, q ≤ 1) on levels")
    y = np.asarray(y, dtype=float)
    exog = np.asarray(exog, dtype=float).reshape(len(y), -1)
    if not np.isfinite(exog).all():
        raise ValueError("exog has missing or infinite values")
    observed = np.isfinite(y)
    n_coef = exog.shape[1] + 1
    if int(observed.sum()) <= n_coef:
        raise ValueError(f"{int(observed.sum())} observations for {n_coef} coefficients")
    data = np.column_stack([np.ones(len(y)), exog, np.where(observed, y, 0.0)])
    free_phi, free_theta = order[0] == 1, order[2] == 1

    def unpack(z: np.ndarray) -> tuple[float, float]:
        phi = float(z[0]) if free_phi else 0.0
        theta = float(z[-1]) if free_theta else 0.0
        return phi, theta

    def loss(z: np.ndarray) -> float:
        llf = _profile(*unpack(z), data, observed)[0]
        return -llf if np.isfinite(llf) else 1e300

    grids = [g for g, free in ((_PHI_GRID, free_phi), (_THETA_GRID, free_theta)) if free]
    if grids:
        mesh = np.array(np.meshgrid(*grids, indexing="ij")).reshape(len(grids), -1).T
        on_grid = [loss(z) for z in mesh]
        start = mesh[int(np.argmin(on_grid))]
        best = minimize(
            loss,
            start,
            method="L-BFGS-B",
            bounds=[(-BOUND, BOUND)] * len(grids),
            options={"ftol": 1e-12, "gtol": 1e-8, "maxiter": 200},
        )
        z = best.x if best.fun <= min(on_grid) else start
    else:
        z = np.zeros(0)
    phi, theta = unpack(z)
    llf, beta, sigma2, mean, p = _profile(phi, theta, data, observed)
    if not np.isfinite(llf):
        raise ValueError("the likelihood is not finite (the regressors explain y exactly?)")
    u_next = float(mean[-1] - mean[:-1] @ beta)
    return ArmaRegression(
        order=tuple(order),
        phi=phi,
        theta=theta,
        beta=np.asarray(beta, dtype=float),
        sigma2=float(sigma2),
        llf=float(llf),
        nobs=int(observed.sum()),
        u_next=u_next,
        p_next=float(p),
    )
