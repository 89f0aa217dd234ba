"""Adaptive conformal miss rates (Gibbs and Candès 2021) for the calibrated intervals of
:mod:`forecasting.calibration` (``CalibrationSettings.adapt``)."""

from __future__ import annotations

import bisect
from datetime import date

import numpy as np
import pandas as pd

from forecasting.calibration import CalibrationSettings, _known_sample, predictive_distribution

__all__ = ["miss_rate_path", "state_at"]


#: adaptive miss rates are kept inside this range (0 would ask for an unbounded interval)
_RATE_BOUNDS = (0.002, 0.99)


def _nominal_rates(settings: CalibrationSettings) -> np.ndarray:
    return np.array([1.0 - level / 100.0 for level in settings.levels])


def state_at(
    dates: list[date], states: list[np.ndarray], as_of: date, settings: CalibrationSettings
) -> np.ndarray:
    """The miss rates in force at ``as_of``: the last state whose error was released before."""
    k = bisect.bisect_left(dates, as_of)
    return states[k - 1] if k else _nominal_rates(settings)


def miss_rate_path(
    own: pd.DataFrame, settings: CalibrationSettings
) -> tuple[list[date], list[np.ndarray]]:
    """Adaptive conformal miss rates of one model, replayed over its one-step errors.

    ``own``: the model's rows of the :func:`forecast_errors` frame. In release order, each
    error is checked against the interval its own origin would have had (the errors and
    the miss rates known at that origin), and every level's rate moves by
    ``adapt·(nominal − miss)``.

    Returns:
        (release dates, the rates per level after each of those releases), in release order.
    """
    one = own[own["horizon"] == 1].sort_values(["released", "period"])
    nominal = _nominal_rates(settings)
    current = nominal.copy()
    dates: list[date] = []
    states: list[np.ndarray] = []
    for rec in one.itertuples(index=False):
        known = _known_sample(one[one["released"] < rec.as_of], rec.period, settings)
        dist = predictive_distribution(
            0.0,
            known["error"].to_numpy(),
            settings,
            scales=known["scale"].to_numpy(),
            scale_now=float(rec.scale),
        )
        if dist is None:
            continue
        in_force = state_at(dates, states, rec.as_of, settings)
        miss = np.array(
            [
                not (lo <= rec.error <= hi)
                for lo, hi in (
                    dist.interval(level, rate)
                    for level, rate in zip(settings.levels, in_force, strict=True)
                )
            ],
            dtype=float,
        )
        current = np.clip(current + settings.adapt * (nominal - miss), *_RATE_BOUNDS)
        dates.append(rec.released)
        states.append(current.copy())
    return dates, states
