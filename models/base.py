"""The one model contract every forecaster implements.

A model sees a *history*: a float ``pd.Series`` on a monthly ``pd.PeriodIndex`` (freq ``M``),
contiguous from its first to its last period, holding the target's first-release values.
From 2020 customs publishes January and February as one figure on the ``YYYY-02`` row, so
``YYYY-01`` is NaN there and is not a target period (see :func:`is_target_period`).

Public :meth:`Forecaster.fit` / :meth:`Forecaster.predict` validate once; implementations write
``_fit`` / ``_predict``. ``_predict`` returns point forecasts and predictive standard deviations
(or quantiles) for the next monthly steps; the base class turns them into the contract frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "FORECAST_COLUMNS",
    "Forecaster",
    "ModelError",
    "PointForecast",
    "filled_history",
    "is_target_period",
    "next_target_periods",
    "interval_columns",
]

FORECAST_COLUMNS: tuple[str, ...] = (
    "period",
    "yhat",
    "yhat_lo_80",
    "yhat_hi_80",
    "yhat_lo_95",
    "yhat_hi_95",
)

COMBINED_JAN_FEB_FROM = 2020


class ModelError(Exception):
    """A model could not be fitted or could not forecast (bad history, failed optimiser)."""


def interval_columns(levels: tuple[int, ...] = (80, 95)) -> list[str]:
    cols: list[str] = []
    for level in levels:
        cols += [f"yhat_lo_{level}", f"yhat_hi_{level}"]
    return cols


def is_target_period(period: pd.Period) -> bool:
    """True if customs publishes ``period`` on its own (no ``YYYY-01`` from 2020)."""
    return not (period.month == 1 and period.year >= COMBINED_JAN_FEB_FROM)


def next_target_periods(last: pd.Period, horizon: int) -> list[pd.Period]:
    """The ``horizon`` target periods after ``last``, skipping combined Januaries."""
    out: list[pd.Period] = []
    p = last
    while len(out) < horizon:
        p = p + 1
        if is_target_period(p):
            out.append(p)
    return out


def filled_history(history: pd.Series) -> pd.Series:
    """History on a complete monthly grid for models that cannot skip months.

    A combined Jan–Feb figure (from 2020) stands for both months: January takes the ``YYYY-02``
    value. Other gaps are linearly interpolated (and edge gaps carried). Pure: returns a copy.
    """
    filled = history.astype(float).copy()
    for period in filled.index:
        if not is_target_period(period) and pd.isna(filled.loc[period]):
            feb = period + 1
            if feb in filled.index:
                filled.loc[period] = filled.loc[feb]
    if filled.isna().any():
        filled = pd.Series(
            filled.to_numpy(), index=filled.index, name=filled.name
        ).interpolate(limit_direction="both")
    return filled


@dataclass(frozen=True)
class PointForecast:
    """What ``_predict`` returns: one entry per monthly step after the history's last period.

    ``sd`` is the predictive standard deviation of a Gaussian; models with other predictive
    distributions may instead give ``quantiles``: {probability: array}.
    """

    mean: np.ndarray
    sd: np.ndarray | None = None
    quantiles: dict[float, np.ndarray] | None = None


class Forecaster(ABC):
    """Base class: validation once, capabilities declared as class attributes."""

    alias: ClassVar[str]
    supports_exog: ClassVar[bool] = False
    min_history: ClassVar[int] = 24

    def __init__(self) -> None:
        self._history: pd.Series | None = None
        self._exog: pd.DataFrame | None = None

    # -- public API -------------------------------------------------------------------------
    def fit(self, history: pd.Series, exog: pd.DataFrame | None = None) -> Self:
        history = _validated_history(history, self.alias)
        n = int(history.notna().sum())
        if n < self.min_history:
            raise ModelError(
                f"model {self.alias!r} needs at least {self.min_history} observations, got {n}"
            )
        if exog is not None and not self.supports_exog:
            exog = None
        self._history = history
        self._exog = None if exog is None else exog.copy()
        try:
            self._fit(history, self._exog)
        except ModelError:
            raise
        except (ValueError, np.linalg.LinAlgError, RuntimeError, FloatingPointError) as exc:
            raise ModelError(f"model {self.alias!r} failed to fit: {exc}") from exc
        return self

    def predict(
        self,
        horizon: int,
        exog: pd.DataFrame | None = None,
        levels: tuple[int, ...] = (80, 95),
    ) -> pd.DataFrame:
        """Forecast the next ``horizon`` target periods.

        Returns:
            DataFrame with columns ``period, yhat, yhat_lo_{L}, yhat_hi_{L}`` for each level,
            one row per target period (combined Januaries skipped).
        """
        if self._history is None:
            raise ModelError(f"model {self.alias!r}: predict called before fit")
        if horizon < 1:
            raise ModelError(f"horizon must be >= 1, got {horizon}")
        last = self._history.index[-1]
        targets = next_target_periods(last, horizon)
        steps = (targets[-1] - last).n
        if exog is not None and not self.supports_exog:
            exog = None
        try:
            pf = self._predict(steps, exog)
        except ModelError:
            raise
        except (ValueError, np.linalg.LinAlgError, RuntimeError, FloatingPointError) as exc:
            raise ModelError(f"model {self.alias!r} failed to predict: {exc}") from exc
        return _to_frame(pf, last, targets, levels, self.alias)

    # -- implementations ----------------------------------------------------------------------
    @abstractmethod
    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None: ...

    @abstractmethod
    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r})"


def _validated_history(history: pd.Series, alias: str) -> pd.Series:
    if not isinstance(history, pd.Series):
        raise ModelError(f"model {alias!r}: history must be a pandas Series, got {type(history)}")
    if not isinstance(history.index, pd.PeriodIndex) or history.index.freqstr not in ("M", "ME"):
        raise ModelError(f"model {alias!r}: history needs a monthly PeriodIndex")
    if history.index.has_duplicates:
        raise ModelError(f"model {alias!r}: history has duplicate periods")
    history = history.sort_index().astype(float)
    full = pd.period_range(history.index[0], history.index[-1], freq="M")
    if len(full) != len(history):
        history = history.reindex(full)
    # trailing NaNs carry no information and would shift the forecast origin
    last_valid = history.last_valid_index()
    if last_valid is None:
        raise ModelError(f"model {alias!r}: history is empty")
    return history.loc[:last_valid]


def _to_frame(
    pf: PointForecast,
    last: pd.Period,
    targets: list[pd.Period],
    levels: tuple[int, ...],
    alias: str,
) -> pd.DataFrame:
    mean = np.asarray(pf.mean, dtype=float)
    idx = [(p - last).n - 1 for p in targets]
    if len(mean) <= max(idx):
        raise ModelError(f"model {alias!r} returned {len(mean)} steps, needed {max(idx) + 1}")
    out = pd.DataFrame({"period": [str(p) for p in targets], "yhat": mean[idx]})
    for level in levels:
        lo_q, hi_q = (1 - level / 100) / 2, 1 - (1 - level / 100) / 2
        if pf.quantiles is not None and lo_q in pf.quantiles and hi_q in pf.quantiles:
            lo = np.asarray(pf.quantiles[lo_q])[idx]
            hi = np.asarray(pf.quantiles[hi_q])[idx]
        elif pf.sd is not None:
            sd = np.asarray(pf.sd, dtype=float)[idx]
            z = stats.norm.ppf(hi_q)
            lo, hi = mean[idx] - z * sd, mean[idx] + z * sd
        else:
            raise ModelError(f"model {alias!r} gave neither sd nor {level}% quantiles")
        out[f"yhat_lo_{level}"] = lo
        out[f"yhat_hi_{level}"] = hi
    if not np.all(np.isfinite(out.drop(columns="period").to_numpy())):
        raise ModelError(f"model {alias!r} produced non-finite forecasts")
    return out
