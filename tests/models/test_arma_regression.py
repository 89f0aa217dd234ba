"""The compiled regression with ARMA errors is statsmodels' SARIMAX likelihood, maximised.

Statsmodels is the reference: at our estimates SARIMAX's own log-likelihood and forecasts
(mean and sd) equal ours, and a long SARIMAX optimisation does not find a higher maximum.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from models.arma_regression import fit_arma_regression, supports_order


def _simulated(n: int = 180, seed: int = 3, missing: bool = True) -> tuple[np.ndarray, ...]:
    """y = 2 + x·β + ARMA(1,1) errors; every 12th month missing from month 5 (a combined
    January), plus two future rows of x."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + 2, 3)) * np.array([5.0, 1.0, 0.05])
    eps = rng.normal(scale=2.0, size=n + 2)
    u = np.zeros(n + 2)
    for t in range(1, n + 2):
        u[t] = 0.8 * u[t - 1] + eps[t] - 0.4 * eps[t - 1]
    y = 2.0 + x @ np.array([0.6, -1.5, 20.0]) + u
    y_hist = y[:n].copy()
    if missing:
        y_hist[5::12] = np.nan
    return y_hist, x[:n], x[n:]


def _sarimax(y: np.ndarray, x: np.ndarray, order: tuple[int, int, int]) -> SARIMAX:
    return SARIMAX(y, exog=x, order=order, trend="c")


@pytest.mark.parametrize("order", [(1, 0, 1), (1, 0, 0), (0, 0, 1), (0, 0, 0)])
@pytest.mark.parametrize("missing", [True, False])
def test_the_likelihood_and_forecasts_are_sarimax_at_the_same_parameters(
    order: tuple[int, int, int], missing: bool
) -> None:
    y, x, x_future = _simulated(missing=missing)
    fit = fit_arma_regression(y, x, order)
    model = _sarimax(y, x, order)
    assert model.loglike(fit.params) == pytest.approx(fit.llf, abs=1e-7)
    res = model.filter(fit.params)
    fc = res.get_forecast(steps=2, exog=x_future)
    mean, sd = fit.forecast(x_future)
    np.testing.assert_allclose(mean, fc.predicted_mean, atol=1e-7)
    np.testing.assert_allclose(sd, np.sqrt(fc.var_pred_mean), atol=1e-7)
    assert fit.aic == pytest.approx(res.aic, abs=1e-6)
    assert fit.nobs == int(np.isfinite(y).sum())


@pytest.mark.parametrize("seed", [3, 11])
def test_no_higher_maximum_than_ours_for_a_long_sarimax_optimisation(seed: int) -> None:
    y, x, x_future = _simulated(seed=seed)
    fit = fit_arma_regression(y, x, (1, 0, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _sarimax(y, x, (1, 0, 1)).fit(disp=False, maxiter=2000, cov_type="none")
    assert fit.llf >= ref.llf - 1e-6
    mean, _ = fit.forecast(x_future)
    ref_mean = ref.get_forecast(steps=2, exog=x_future).predicted_mean
    np.testing.assert_allclose(mean, ref_mean, atol=0.02)
    assert fit.phi == pytest.approx(0.8, abs=0.15)  # the simulated AR coefficient


def test_only_stationary_short_orders_and_clean_regressors() -> None:
    y, x, _ = _simulated()
    assert supports_order((1, 0, 1)) and not supports_order((1, 1, 1))
    assert not supports_order((2, 0, 0))
    with pytest.raises(ValueError, match="not ARMA"):
        fit_arma_regression(y, x, (2, 0, 0))
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="missing or infinite"):
        fit_arma_regression(y, bad)
    with pytest.raises(ValueError, match="observations for"):
        fit_arma_regression(y[:4], x[:4])
