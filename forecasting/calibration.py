"""Calibrated intervals and predictive distributions from the errors known at each origin.

A model's own bands (and the ensemble's, which averages them) are far too wide or too narrow
for what its forecasts actually miss by. This module replaces them by what the model's own
out-of-sample record says, origin by origin, with no look-ahead:

1. :func:`forecast_errors`: every scored row of a backtest frame as an error
   ``actual − yhat`` with the date the period was first released (its ``as_of`` + 1 day in a
   backtest, or the store's first-release dates).
2. At an origin ``as_of``, a model's *known* errors are its errors on periods released
   strictly before ``as_of``; the last ``window`` of them (by period) are kept.
3. :func:`predictive_distribution`: the forecast plus those errors, each dressed with a
   Gaussian kernel (a smooth empirical distribution: split-conformal residuals with a kernel
   bandwidth). ``method``:

   - ``"absolute"``: the errors and their mirror images (a symmetric distribution around
     ``yhat``: conformal on absolute errors);
   - ``"signed"``: the errors as they are (keeps a persistent bias);
   - ``"scaled"``: each error divided by the model's own 80% half-width at its origin, then
     multiplied by the half-width now (keeps the model's own sense of which months are
     uncertain), mirrored as in ``"absolute"``.

4. :func:`forecasting.calibration_frame.calibrate_frame`: the same for every row of a
   frame (a backtest, or the live forecast rows together with the backtest rows before
   them): new ``yhat_lo_L, yhat_hi_L`` from the distribution's quantiles, and
   ``calibrated`` / ``n_errors`` columns.

Horizon. The backtest's forecasts are all one step ahead (the eve of release, the previous
print known). A forecast ``h > 1`` target months past the last known print (``horizon``
column; live forecasts when prints are missing) uses the model's errors at that horizon when
at least ``min_errors`` of them are known, else its one-step errors scaled by ``sqrt(h)``
(the random-walk growth of errors; with ``"scaled"`` the model's own h-step width carries the
growth instead, no extra factor).

Fallback. With fewer than ``min_errors`` known errors a row keeps the model's own bands and
``calibrated`` is False (the lead's backtest therefore warms up long enough that reported
origins always have them).

The settings (:data:`DEFAULT_SETTINGS`) were chosen on the 2010–2018 backtest
(``benchmarks/calibration_eval.py``), never on 2019 onward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

__all__ = [
    "DEFAULT_SETTINGS",
    "CalibrationSettings",
    "PredictiveDistribution",
    "forecast_errors",
    "known_errors_at",
    "predictive_distribution",
    "release_dates_from_backtest",
    "with_settings",
]

Method = Literal["absolute", "signed", "scaled"]
_SQRT2 = float(np.sqrt(2.0))


@dataclass(frozen=True)
class CalibrationSettings:
    """How errors become a predictive distribution.

    Attributes:
        window: the last ``window`` known errors (by period) of the model are used.
        min_errors: fewer known errors than this: the row keeps its own bands.
        method: ``"absolute"``, ``"signed"`` or ``"scaled"`` (module docstring).
        bandwidth: the kernel's sd as a multiple of Silverman's rule
            (``0.9·min(sd, IQR/1.34)·n^(-1/5)`` of the error sample); 0 = the raw empirical
            distribution (step CDF).
        levels: the interval levels written by :func:`calibrate_frame`.
        adapt: the step ``γ`` of adaptive conformal inference (Gibbs and Candès 2021): each
            level's miss rate ``α`` is moved after every released period by
            ``γ·(α_nominal − miss)``, ``miss`` = 1 if the print fell outside that period's own
            calibrated interval; the interval then uses the quantiles at ``α/2`` and
            ``1 − α/2``. Over a run of origins the share of misses is pulled towards the
            nominal one whatever the errors' drift. 0 = off (the nominal levels).
        jan_feb_window: > 0: January and February prints (the Lunar New Year months, a
            separate January before 2020 or the combined Jan–Feb) draw on the last
            ``jan_feb_window`` errors of January/February periods only, the other months on
            the last ``window`` errors of the other months (each pool falls back on the
            pooled errors when it has fewer than ``min_errors``). 0 = one pool.
    """

    window: int = 36
    min_errors: int = 12
    method: Method = "absolute"
    bandwidth: float = 1.0
    levels: tuple[int, ...] = (80, 95)
    adapt: float = 0.0
    jan_feb_window: int = 0

    def __post_init__(self) -> None:
        if self.window < 1 or self.min_errors < 1:
            raise ValueError(
                f"window and min_errors must be >= 1, got {self.window}, {self.min_errors}"
            )
        if self.method not in ("absolute", "signed", "scaled"):
            raise ValueError(f"method must be absolute, signed or scaled, got {self.method!r}")
        if self.bandwidth < 0:
            raise ValueError(f"bandwidth must be >= 0, got {self.bandwidth}")
        if self.jan_feb_window < 0:
            raise ValueError(f"jan_feb_window must be >= 0, got {self.jan_feb_window}")
        if not 0 <= self.adapt < 1:
            raise ValueError(f"adapt must be in [0, 1), got {self.adapt}")


#: chosen on the 2010–2018 backtest by ``benchmarks/calibration_eval.py`` (the ensemble of the
#: final model set, calendar regressors in): among the settings whose 80% coverage stayed in
#: 0.70–0.90 in each three-year block on both targets (95% coverage >= 0.90), the lowest sum
#: of the 80% and 95% interval scores: absolute errors, the last 36 (the last 12 January/
#: February errors for a January or February print), Silverman kernel, no adaptive step
#: (2010–2018 ensemble 80%/95% coverage: exports 0.83/0.97, imports 0.81/0.94).
DEFAULT_SETTINGS = CalibrationSettings(
    window=36, min_errors=12, method="absolute", bandwidth=1.0, adapt=0.0, jan_feb_window=12
)


@dataclass(frozen=True)
class PredictiveDistribution:
    """An equally weighted mixture of Gaussians: ``centre + deviations[i]``, sd ``bandwidth``.

    With ``bandwidth == 0`` it is the empirical distribution of ``centre + deviations``.
    """

    centre: float
    deviations: np.ndarray
    bandwidth: float

    @property
    def points(self) -> np.ndarray:
        return self.centre + np.asarray(self.deviations, dtype=float)

    def cdf(self, x: float | np.ndarray) -> np.ndarray:
        """P(Y <= x) for each ``x``."""
        x = np.atleast_1d(np.asarray(x, dtype=float))
        diff = x[:, None] - self.points[None, :]
        if self.bandwidth > 0:
            return 0.5 * (1.0 + special.erf(diff / (self.bandwidth * _SQRT2))).mean(axis=1)
        return (diff >= 0).mean(axis=1)

    def prob_above(self, threshold: float | np.ndarray) -> np.ndarray:
        """P(Y > threshold): with ``threshold`` the consensus, P(the print beats it)."""
        return 1.0 - self.cdf(threshold)

    def quantile(self, probs: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """The quantiles at ``probs`` (bisection on the CDF; exact order statistics of the
        empirical distribution when ``bandwidth == 0``)."""
        p = np.atleast_1d(np.asarray(probs, dtype=float))
        if np.any((p <= 0) | (p >= 1)):
            raise ValueError(f"probabilities must be in (0, 1), got {p}")
        pts = np.sort(self.points)
        if self.bandwidth == 0:
            # the smallest point whose empirical CDF reaches p
            idx = np.ceil(p * len(pts)).astype(int) - 1
            return pts[np.clip(idx, 0, len(pts) - 1)]
        lo = np.full(p.shape, pts[0] - 10 * self.bandwidth)
        hi = np.full(p.shape, pts[-1] + 10 * self.bandwidth)
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < p
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    def interval(self, level: float, miss_rate: float | None = None) -> tuple[float, float]:
        """The central ``level``% interval; with ``miss_rate`` (adaptive conformal) the
        interval between the ``miss_rate/2`` and ``1 − miss_rate/2`` quantiles instead."""
        a = (1.0 - level / 100.0 if miss_rate is None else miss_rate) / 2.0
        lo, hi = self.quantile([a, 1.0 - a])
        return float(lo), float(hi)

    def crps(self, y: float) -> float:
        """The continuous ranked probability score of the outcome ``y`` (lower is better).

        Closed form for a Gaussian mixture (Grimit et al. 2006); for ``bandwidth == 0`` the
        energy form ``E|X − y| − ½E|X − X'|``.
        """
        pts = self.points
        if self.bandwidth == 0:
            first = np.abs(pts - y).mean()
            second = np.abs(pts[:, None] - pts[None, :]).mean()
            return float(first - 0.5 * second)
        s = self.bandwidth
        first = _gauss_abs_mean(y - pts, s).mean()
        second = _gauss_abs_mean(pts[:, None] - pts[None, :], s * _SQRT2).mean()
        return float(first - 0.5 * second)


def _gauss_abs_mean(mu: np.ndarray, sd: float) -> np.ndarray:
    """E|Z| for Z ~ N(mu, sd²)."""
    z = mu / sd
    pdf = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return sd * 2 * pdf + mu * special.erf(z / _SQRT2)


def _silverman(sample: np.ndarray) -> float:
    n = len(sample)
    sd = float(np.std(sample, ddof=1)) if n > 1 else 0.0
    q75, q25 = np.percentile(sample, [75, 25])
    spread = min(sd, (q75 - q25) / 1.34) if q75 > q25 else sd
    return 0.9 * spread * n ** (-0.2)


def predictive_distribution(
    yhat: float,
    errors: np.ndarray | Sequence[float],
    settings: CalibrationSettings = DEFAULT_SETTINGS,
    *,
    scales: np.ndarray | Sequence[float] | None = None,
    scale_now: float | None = None,
    horizon_factor: float = 1.0,
) -> PredictiveDistribution | None:
    """The calibrated predictive distribution of one forecast.

    Args:
        yhat: the point forecast.
        errors: the model's known errors ``actual − yhat`` (already cut to the window).
        settings: method and bandwidth (``window``/``min_errors`` are the caller's to apply;
            here fewer than ``min_errors`` finite errors give None).
        scales: with ``method="scaled"``, the model's own 80% half-width at each error's
            origin (same length as ``errors``); errors with a non-positive scale are dropped.
        scale_now: with ``method="scaled"``, the forecast's own 80% half-width.
        horizon_factor: multiplies the deviations (``sqrt(h)`` for an h-step forecast
            calibrated on one-step errors).

    Returns:
        the distribution, or None when too few errors (or, scaled, no positive scale now).
    """
    e = np.asarray(errors, dtype=float)
    if settings.method == "scaled":
        if scales is None or scale_now is None or not np.isfinite(scale_now) or scale_now <= 0:
            return None
        s = np.asarray(scales, dtype=float)
        ok = np.isfinite(e) & np.isfinite(s) & (s > 0)
        e = e[ok] / s[ok] * scale_now
    else:
        e = e[np.isfinite(e)]
    if len(e) < settings.min_errors:
        return None
    dev = e if settings.method == "signed" else np.concatenate([e, -e])
    dev = dev * horizon_factor
    bw = settings.bandwidth * _silverman(dev) if settings.bandwidth > 0 else 0.0
    if settings.bandwidth > 0 and bw <= 0:
        bw = 1e-6
    return PredictiveDistribution(float(yhat), dev, float(bw))


def release_dates_from_backtest(frame: pd.DataFrame) -> pd.Series:
    """period -> first-release date implied by a backtest frame (each origin is the eve of
    its period's release: ``as_of`` + 1 day)."""
    as_of = pd.to_datetime(frame["as_of"]).dt.date
    dates = pd.Series(as_of.to_numpy(), index=frame["period"].astype(str).to_numpy())
    dates = dates.groupby(level=0).min()
    return dates.map(lambda d: d + timedelta(days=1))


def forecast_errors(frame: pd.DataFrame, released: pd.Series) -> pd.DataFrame:
    """The scored rows of ``frame`` as errors, ensembles included.

    Args:
        frame: forecast rows with ``model, period, yhat, yhat_lo_80, yhat_hi_80, actual``
            (and optionally ``horizon``, default 1).
        released: period text -> the date the period was first released.

    Returns:
        DataFrame ``model, period, horizon, error, scale, as_of, released``: ``error =
        actual − yhat``, ``scale`` = the row's own 80% half-width, ``as_of`` its origin; rows
        without an actual, a forecast or a release date are left out; sorted by model,
        horizon, period.
    """
    f = frame[frame["yhat"].notna() & frame["actual"].notna()]
    out = pd.DataFrame(
        {
            "model": f["model"].to_numpy(),
            "period": f["period"].astype(str).to_numpy(),
            "horizon": (f["horizon"] if "horizon" in f else pd.Series(1, index=f.index))
            .fillna(1)
            .astype(int)
            .to_numpy(),
            "error": (f["actual"] - f["yhat"]).to_numpy(dtype=float),
            "scale": ((f["yhat_hi_80"] - f["yhat_lo_80"]) / 2.0).to_numpy(dtype=float),
            "as_of": pd.to_datetime(f["as_of"]).dt.date.to_numpy(),
        }
    )
    out["released"] = out["period"].map(released)
    out = out[out["released"].notna()]
    out = out.drop_duplicates(["model", "period", "horizon"], keep="last")
    return out.sort_values(["model", "horizon", "period"]).reset_index(drop=True)


def known_errors_at(
    errors: pd.DataFrame, model: str, as_of: date, window: int, horizon: int = 1
) -> pd.DataFrame:
    """``model``'s last ``window`` errors at ``horizon`` (by period) on periods released
    strictly before ``as_of``: what a forecast made at ``as_of`` may know.

    Returns:
        the rows of ``errors`` (the :func:`forecast_errors` frame).
    """
    own = errors[(errors["model"] == model) & (errors["horizon"] == horizon)]
    known = own[own["released"] < as_of]
    return known.tail(window)


def _is_jan_feb(period: object) -> bool:
    return str(period)[5:7] in ("01", "02")


def _known_sample(
    known: pd.DataFrame, period: object, settings: CalibrationSettings
) -> pd.DataFrame:
    """The errors a forecast of ``period`` draws on among ``known`` (already cut to those
    released before its origin and to its horizon, in period order)."""
    if settings.jan_feb_window > 0:
        group = known["period"].map(_is_jan_feb) == _is_jan_feb(period)
        size = settings.jan_feb_window if _is_jan_feb(period) else settings.window
        own_group = known[group].tail(size)
        if len(own_group) >= settings.min_errors:
            return own_group
    return known.tail(settings.window)


def with_settings(settings: CalibrationSettings, **changes: object) -> CalibrationSettings:
    """A copy of ``settings`` with ``changes`` (for grids)."""
    return replace(settings, **changes)
