"""The one model contract every forecaster implements.

A model sees a *history*: a float ``pd.Series`` on a monthly ``pd.PeriodIndex`` (freq ``M``),
contiguous from its first to its last period, holding the target's first-release values.
From 2020 customs publishes January and February as one figure on the ``YYYY-02`` row, so
``YYYY-01`` is NaN there and is not a target period (the rules are in :mod:`models.periods`).

Public :meth:`Forecaster.fit` / :meth:`Forecaster.predict` validate once; implementations write
``_fit`` / ``_predict``. ``_predict`` returns point forecasts and predictive standard deviations
(or quantiles) for the next monthly steps; the base class turns them into the contract frame.
A model that forecasts at the frame level (the ensembles) overrides
:meth:`Forecaster._forecast_frame` instead of ``_predict``.

The y/y transforms the models share live in :mod:`models.transforms`, the AIC choice among
candidate fits and the BLAS thread limit in :mod:`models.fitting`; both are re-exported here.
"""

from __future__ import annotations

import functools
import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self, get_args

import numpy as np
import pandas as pd

from models.errors import ModelError
from models.fitting import lowest_aic, single_threaded_blas
from models.gaussian import norm_ppf
from models.periods import next_target_periods
from models.transforms import (
    YOY_FLOOR,
    filled_history,
    from_log_growth,
    log_growth,
    log_two_year_growth,
    log_yoy,
)

__all__ = [
    "FORECAST_COLUMNS",
    "YOY_FLOOR",
    "Forecaster",
    "ModelError",
    "PointForecast",
    "SERIES_KINDS",
    "SeriesKind",
    "filled_history",
    "from_log_growth",
    "log_growth",
    "log_two_year_growth",
    "log_yoy",
    "lowest_aic",
    "nest_intervals",
    "interval_columns",
    "series_kind",
    "single_threaded_blas",
]

FORECAST_COLUMNS: tuple[str, ...] = (
    "period",
    "yhat",
    "yhat_lo_80",
    "yhat_hi_80",
    "yhat_lo_95",
    "yhat_hi_95",
)

#: What a model's numerical libraries raise when a fit or forecast fails on the data given
#: (a singular matrix, an optimiser off, an index past the data): turned into ModelError with
#: the reason. A TypeError or AttributeError is a bug and is not caught.
_LIBRARY_FAILURES = (ValueError, ArithmeticError, LookupError, RuntimeError, np.linalg.LinAlgError)

#: The kinds of target series: a growth rate (% y/y, above -100%, seasonality removed) or a
#: balance (USD bn, either sign, strongly seasonal, from 2020 a two-month Jan–Feb total).
SeriesKind = Literal["yoy", "balance"]
SERIES_KINDS: tuple[str, ...] = get_args(SeriesKind)


def series_kind(name: object) -> SeriesKind | None:
    """The kind of a target series, read from its name (the service names a history after its
    series): ``*_yoy`` is ``"yoy"``, ``balance*`` is ``"balance"``; None for other names
    (e.g. an unnamed series), which :meth:`Forecaster.fit` does not check."""
    if not isinstance(name, str):
        return None
    if name.endswith("_yoy"):
        return "yoy"
    if name.startswith("balance"):
        return "balance"
    return None


def interval_columns(levels: tuple[int, ...] = (80, 95)) -> list[str]:
    cols: list[str] = []
    for level in levels:
        cols += [f"yhat_lo_{level}", f"yhat_hi_{level}"]
    return cols


@dataclass(frozen=True)
class PointForecast:
    """What ``_predict`` returns: one entry per monthly step after the history's last period.

    ``sd`` is the predictive standard deviation of a Gaussian; models with other predictive
    distributions may instead give ``quantiles``: {probability: array} (keys are matched to
    the requested levels with a float tolerance) or ``samples``: an array of shape
    ``(steps, draws)`` of simulated paths, from which any level's quantiles are taken.
    Precedence per level: quantiles, then samples, then sd.
    """

    mean: np.ndarray
    sd: np.ndarray | None = None
    quantiles: dict[float, np.ndarray] | None = None
    samples: np.ndarray | None = None


class Forecaster(ABC):
    """Base class: validation once, capabilities declared as class attributes.

    ``series_kinds`` names the kinds of target series (:data:`SeriesKind`) the model is
    written for; :meth:`fit` refuses a history whose name says it is of another kind (see
    :func:`series_kind`), and :meth:`takes` lets a caller choose the models for a target
    without fitting them. The default is y/y only: a model declares ``"balance"`` when it
    makes sense on a USD bn series that can be negative, is strongly seasonal and holds a
    two-month total on the combined Jan–Feb rows (no logs, no y/y floors, no y/y averages).

    ``_fit`` and ``_predict`` run with BLAS limited to one thread (see
    :func:`single_threaded_blas`).
    """

    alias: ClassVar[str]
    supports_exog: ClassVar[bool] = False
    min_history: ClassVar[int] = 24
    series_kinds: ClassVar[frozenset[str]] = frozenset({"yoy"})
    #: modules the fit imports on first use (heavy libraries): :meth:`prepare` loads them
    imports: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def prepare(cls) -> None:
        """Load what a first fit would: the modules of ``imports`` (and, in a model that
        compiles code, the compiled code). Called in a process about to fork worker
        processes, so that they start with it loaded instead of each loading it."""
        for name in cls.imports:
            importlib.import_module(name)

    @classmethod
    def takes(cls, kind: str) -> bool:
        """Whether the model is written for target series of ``kind`` (``"yoy"``,
        ``"balance"``)."""
        if kind not in SERIES_KINDS:
            raise ModelError(
                f"unknown series kind {kind!r}; known kinds: {', '.join(SERIES_KINDS)}"
            )
        return kind in cls.series_kinds

    def __init__(self) -> None:
        self._history: pd.Series | None = None
        self._exog: pd.DataFrame | None = None

    # -- public API -------------------------------------------------------------------------
    def fit(self, history: pd.Series, exog: pd.DataFrame | None = None) -> Self:
        kind = series_kind(getattr(history, "name", None))
        if kind is not None and kind not in self.series_kinds:
            raise ModelError(
                f"model {self.alias!r} does not take {history.name!r} (a {kind} series): it "
                f"is written for {' and '.join(sorted(self.series_kinds))} series"
            )
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
            with single_threaded_blas():
                self._fit(history, self._exog)
        except ModelError:
            raise
        except _LIBRARY_FAILURES as exc:
            raise ModelError(
                f"model {self.alias!r} failed to fit: {type(exc).__name__}: {exc}"
            ) from exc
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
        return self._forecast_frame(horizon, exog, levels)

    # -- implementations ----------------------------------------------------------------------
    @abstractmethod
    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None: ...

    @abstractmethod
    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast: ...

    def _forecast_frame(
        self, horizon: int, exog: pd.DataFrame | None, levels: tuple[int, ...]
    ) -> pd.DataFrame:
        """The contract frame of :meth:`predict` (whose arguments are already checked).

        The default drops ``exog`` unless the model supports it, forecasts the monthly steps
        with ``_predict``, builds the frame and refuses implausible forecasts. A model that
        combines whole frames (the ensembles) overrides this instead of ``_predict``.
        """
        last = self._history.index[-1]
        targets = next_target_periods(last, horizon)
        steps = (targets[-1] - last).n
        if exog is not None and not self.supports_exog:
            exog = None
        try:
            with single_threaded_blas():
                pf = self._predict(steps, exog)
        except ModelError:
            raise
        except _LIBRARY_FAILURES as exc:
            raise ModelError(f"model {self.alias!r} failed to predict: {exc}") from exc
        out = _to_frame(pf, last, targets, levels, self.alias)
        _check_plausible(out, self._history, self.alias)
        return out

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
    yhat = mean[idx]
    bounds: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for level in sorted(levels):
        lo_q, hi_q = (1 - level / 100) / 2, 1 - (1 - level / 100) / 2
        lo_given = _quantile_lookup(pf.quantiles, lo_q)
        hi_given = _quantile_lookup(pf.quantiles, hi_q)
        if lo_given is not None and hi_given is not None:
            lo = np.asarray(lo_given, dtype=float)[idx]
            hi = np.asarray(hi_given, dtype=float)[idx]
        elif pf.samples is not None:
            draws = np.asarray(pf.samples, dtype=float)[idx]
            lo, hi = np.quantile(draws, [lo_q, hi_q], axis=1)
        elif pf.sd is not None:
            sd = np.asarray(pf.sd, dtype=float)[idx]
            z = _normal_quantile(hi_q)
            lo, hi = yhat - z * sd, yhat + z * sd
        else:
            raise ModelError(f"model {alias!r} gave neither sd, samples nor {level}% quantiles")
        bounds[level] = (lo, hi)
    # skewed simulated distributions can otherwise put the mean just outside a sample quantile
    columns: dict[str, Any] = {"period": [str(p) for p in targets], "yhat": yhat}
    inner_lo = inner_hi = yhat
    for level in sorted(levels):
        inner_lo = np.minimum(bounds[level][0], inner_lo)
        inner_hi = np.maximum(bounds[level][1], inner_hi)
        columns[f"yhat_lo_{level}"], columns[f"yhat_hi_{level}"] = inner_lo, inner_hi
    if not all(np.all(np.isfinite(v)) for k, v in columns.items() if k != "period"):
        raise ModelError(f"model {alias!r} produced non-finite forecasts")
    return pd.DataFrame(columns, columns=["period", "yhat", *interval_columns(levels)])


@functools.lru_cache(maxsize=64)
def _normal_quantile(prob: float) -> float:
    """The standard normal's ``prob`` quantile (cached: the levels repeat)."""
    return float(norm_ppf(prob))


def nest_intervals(frame: pd.DataFrame, levels: tuple[int, ...]) -> None:
    """In place: widen each level's bounds so that the interval contains ``yhat`` and the
    intervals of the narrower levels (narrowest level first)."""
    inner_lo = inner_hi = frame["yhat"].to_numpy()
    for level in sorted(levels):
        lo = np.minimum(frame[f"yhat_lo_{level}"].to_numpy(), inner_lo)
        hi = np.maximum(frame[f"yhat_hi_{level}"].to_numpy(), inner_hi)
        frame[f"yhat_lo_{level}"], frame[f"yhat_hi_{level}"] = lo, hi
        inner_lo, inner_hi = lo, hi


#: A forecast further from the history's median than this many times the history's range is
#: a numerical failure (e.g. an EM or optimiser run off), not a view on the data.
IMPLAUSIBLE_RANGES = 5.0


def _deviation(values: np.ndarray, history: pd.Series) -> tuple[float, float]:
    """(largest distance of ``values`` from the history's median, the plausible limit)."""
    observed = history.dropna().to_numpy(dtype=float)
    spread = float(np.ptp(observed)) if len(observed) else 0.0
    center = float(np.median(observed)) if len(observed) else 0.0
    limit = IMPLAUSIBLE_RANGES * max(spread, 1.0)
    worst = float(np.max(np.abs(np.asarray(values, dtype=float) - center)))
    return worst, limit


def _is_plausible(values: np.ndarray, history: pd.Series) -> bool:
    """True if ``values`` are finite and none is further from the history's median than
    IMPLAUSIBLE_RANGES times the history's range."""
    worst, limit = _deviation(values, history)
    return bool(np.all(np.isfinite(values)) and worst <= limit)


def _check_plausible(out: pd.DataFrame, history: pd.Series, alias: str) -> None:
    """Refuse forecasts far outside anything the history has seen (see IMPLAUSIBLE_RANGES)."""
    yhat = out["yhat"].to_numpy(dtype=float)
    if not _is_plausible(yhat, history):
        worst, _ = _deviation(yhat, history)
        raise ModelError(
            f"model {alias!r} produced an implausible forecast ({worst:.3g} away from the "
            f"history's median, more than {IMPLAUSIBLE_RANGES:g}x the history's range)"
        )


def _quantile_lookup(quantiles: dict[float, np.ndarray] | None, prob: float) -> np.ndarray | None:
    """The entry of ``quantiles`` for ``prob``, tolerating float round-off in the key."""
    if not quantiles:
        return None
    for key, value in quantiles.items():
        if abs(float(key) - prob) < 1e-9:
            return value
    return None
