"""Calibrated rows and P(beat): :func:`calibrate_frame` applies
:mod:`forecasting.calibration` to every row of a forecast frame (the backtest at each origin,
the live forecast's path); :func:`beat_probability` reads P(actual > consensus) off a row's
calibrated distribution, its centre moved toward the consensus by how far past prints bore
the model's departures out (:func:`consensus_weight`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from forecasting.calibration import (
    DEFAULT_SETTINGS,
    CalibrationSettings,
    PredictiveDistribution,
    _is_jan_feb,
    forecast_errors,
    predictive_distribution,
)
from forecasting.calibration_adaptive import miss_rate_path, state_at
from forecasting.calibration_batch import batch_crps, batch_quantiles
from forecasting.compare import surprise_probability

__all__ = [
    "KnownErrors",
    "beat_probability",
    "calibrate_frame",
    "consensus_weight",
    "consensus_weights_at",
    "row_distribution",
]


def calibrate_frame(
    frame: pd.DataFrame,
    released: pd.Series,
    settings: CalibrationSettings = DEFAULT_SETTINGS,
    *,
    errors: pd.DataFrame | None = None,
    consensus: pd.Series | None = None,
    consensus_weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Calibrated bounds for every forecast row of ``frame`` (pure: a new frame).

    Args:
        frame: rows ``model, period, as_of, yhat, yhat_lo_L, yhat_hi_L`` (+ ``actual`` where
            known, optional ``horizon`` = target months past the last known print, default 1).
            The errors come from the frame's own scored rows (a backtest run over the months
            before the ones to calibrate, or live rows appended to a backtest).
        released: period text -> first-release date (the store's
            ``first_release_dates``; :func:`release_dates_from_backtest` for a backtest CSV).
        settings: see :class:`CalibrationSettings`.
        errors: the :func:`forecast_errors` frame to draw on (default: from ``frame``).
        consensus: period text -> the consensus; adds ``p_beat`` = P(actual > consensus)
            under the calibrated distribution (NaN where uncalibrated or no consensus).
        consensus_weights: per row of ``frame`` (same index), the :func:`consensus_weight`
            for ``p_beat`` (that model's polls known at the row's origin); default 1 (the
            distribution centred on the model's own forecast).

    Returns:
        ``frame`` with ``yhat_lo_L, yhat_hi_L`` replaced for each level of ``settings``
        where the model had at least ``min_errors`` known errors, and columns
        ``calibrated`` (bool), ``n_errors`` (known errors used), ``crps`` (of the
        calibrated distribution where ``actual`` is known, else NaN) and, with
        ``consensus``, ``p_beat``.
    """
    if errors is None:
        errors = forecast_errors(frame, released)
    out = frame.copy()
    n_rows = len(out)
    bounds = {
        c: out[c].to_numpy(dtype=float, copy=True)
        for level in settings.levels
        for c in (f"yhat_lo_{level}", f"yhat_hi_{level}")
    }
    done = np.zeros(n_rows, dtype=bool)
    used = np.zeros(n_rows, dtype=int)
    crps = np.full(n_rows, np.nan)
    p_beat = np.full(n_rows, np.nan)
    by_model = {m: g for m, g in errors.groupby("model", sort=False)}
    as_of_dates = pd.to_datetime(out["as_of"]).dt.date.to_numpy()
    horizons = (
        out["horizon"].fillna(1).astype(int).to_numpy()
        if "horizon" in out
        else np.ones(n_rows, dtype=int)
    )
    actual = out["actual"].to_numpy(dtype=float) if "actual" in out else np.full(n_rows, np.nan)
    weights = (
        np.ones(n_rows)
        if consensus_weights is None
        else consensus_weights.reindex(out.index).fillna(1.0).to_numpy(dtype=float)
    )
    paths: dict[str, tuple[list[date], list[np.ndarray]]] = {}
    samples: dict[str, KnownErrors] = {}
    models = out["model"].to_numpy()
    periods = out["period"].astype(str).to_numpy()
    yhat = out["yhat"].to_numpy(dtype=float)
    half80 = (out["yhat_hi_80"].to_numpy(dtype=float) - out["yhat_lo_80"].to_numpy(dtype=float)) / 2
    found: list[PredictiveDistribution] = []  # the calibrated rows' distributions, in order
    tails: list[list[float]] = []
    scored: list[int] = []  # positions in ``found`` of the rows with an actual
    for i in np.flatnonzero(out["yhat"].notna().to_numpy()):
        model = models[i]
        own = by_model.get(model)
        if own is None:
            continue
        if model not in samples:
            samples[model] = KnownErrors(own)
        dist, used[i] = samples[model].distribution(
            yhat[i], half80[i], periods[i], as_of_dates[i], horizons[i], settings
        )
        if dist is None:
            continue
        rates: list[float | None] = [None] * len(settings.levels)
        if settings.adapt > 0:
            if model not in paths:
                paths[model] = miss_rate_path(own, settings)
            rates = list(state_at(*paths[model], as_of_dates[i], settings))
        found.append(dist)
        tails.append(_tail_probs(settings.levels, rates))
        done[i] = True
        if np.isfinite(actual[i]):
            scored.append(len(found) - 1)
        if consensus is not None:
            c = consensus.get(periods[i], np.nan)
            if pd.notna(c):
                shift = (1.0 - weights[i]) * (float(yhat[i]) - float(c))
                p_beat[i] = float(dist.prob_above(float(c) + shift)[0])
    if found:  # every row's bounds from one stacked quantile search
        q = batch_quantiles(found, np.array(tails))
        rows = np.flatnonzero(done)
        for k, level in enumerate(settings.levels):
            bounds[f"yhat_lo_{level}"][rows] = q[:, 2 * k]
            bounds[f"yhat_hi_{level}"][rows] = q[:, 2 * k + 1]
        with_actual = rows[scored]
        crps[with_actual] = batch_crps([found[k] for k in scored], actual[with_actual])
    for col, values in bounds.items():
        out[col] = values
    out["calibrated"] = done
    out["n_errors"] = used
    out["crps"] = crps
    if consensus is not None:
        out["p_beat"] = p_beat
    return out


def row_distribution(
    row: pd.Series,
    errors: pd.DataFrame,
    settings: CalibrationSettings = DEFAULT_SETTINGS,
) -> PredictiveDistribution | None:
    """The calibrated distribution of one forecast row (``model, as_of, yhat``, bounds,
    optional ``horizon``) from the :func:`forecast_errors` frame ``errors``; None = too few
    known errors (the row keeps its own bands)."""
    own = KnownErrors(errors[errors["model"] == row["model"]])
    as_of = pd.Timestamp(row["as_of"]).date()
    h = int(row["horizon"]) if "horizon" in row and pd.notna(row["horizon"]) else 1
    half80 = float(row["yhat_hi_80"] - row["yhat_lo_80"]) / 2.0
    return own.distribution(float(row["yhat"]), half80, str(row["period"]), as_of, h, settings)[0]


class KnownErrors:
    """One model's :func:`forecast_errors` rows as arrays; a forecast's calibrated distribution
    from the errors released before its origin at its horizon (at horizon 1 if too few), the
    Jan–Feb group's own when it has enough (:func:`_known_sample`'s rule)."""

    def __init__(self, own: pd.DataFrame) -> None:
        self.released = np.array([d.toordinal() for d in own["released"]], dtype=np.int64)
        self.horizon = own["horizon"].to_numpy(dtype=np.int64)
        self.jan_feb = np.array([_is_jan_feb(p) for p in own["period"]], dtype=bool)
        self.error = own["error"].to_numpy(dtype=float)
        self.scale = own["scale"].to_numpy(dtype=float)

    def _sample(self, known: np.ndarray, period: str, settings: CalibrationSettings) -> np.ndarray:
        """Positions of the errors drawn on among ``known`` (``_known_sample``)."""
        rows = np.flatnonzero(known)
        if settings.jan_feb_window > 0:
            jf = _is_jan_feb(period)
            size = settings.jan_feb_window if jf else settings.window
            group = rows[self.jan_feb[rows] == jf][-size:]
            if len(group) >= settings.min_errors:
                return group
        return rows[-settings.window :]

    def distribution(
        self,
        yhat: float,
        half80: float,
        period: str,
        as_of: date,
        horizon: int,
        settings: CalibrationSettings,
    ) -> tuple[PredictiveDistribution | None, int]:
        """(the calibrated distribution or None, the number of errors drawn on); ``half80``:
        half the forecast's own 80% band."""
        known = self.released < as_of.toordinal()
        at_h = self._sample(known & (self.horizon == horizon), period, settings)
        factor = 1.0
        if len(at_h) < settings.min_errors and horizon > 1:
            at_h = self._sample(known & (self.horizon == 1), period, settings)
            factor = 1.0 if settings.method == "scaled" else float(np.sqrt(horizon))
        dist = predictive_distribution(
            float(yhat),
            self.error[at_h],
            settings,
            scales=self.scale[at_h],
            scale_now=float(half80),
            horizon_factor=factor,
        )
        return dist, len(at_h)


def _tail_probs(levels: Sequence[int], rates: Sequence[float | None]) -> list[float]:
    """The probabilities of ``dist.interval(level, rate)`` for every level, in order
    ``[lo_1, hi_1, lo_2, hi_2, ...]``."""
    tails = [
        (1.0 - lv / 100.0 if r is None else r) / 2.0 for lv, r in zip(levels, rates, strict=True)
    ]
    return [p for a in tails for p in (a, 1.0 - a)]


def consensus_weight(
    model_minus_consensus: np.ndarray | Sequence[float],
    actual_minus_consensus: np.ndarray | Sequence[float],
    min_pairs: int = 12,
) -> float:
    """How much of the model's departure from the consensus the print has borne out.

    ``λ = Σ d·a / Σ d²`` (least squares through the origin of ``a = actual − consensus`` on
    ``d = model − consensus``), clipped to [0, 1]; 1 (take the model at its word) with fewer
    than ``min_pairs`` finite pairs. Pass only pairs whose actual was released before the
    origin. On the 2016–2018 polls the ensemble's λ settled near 0.66 on both targets: when
    the model departs from the consensus, the print goes two thirds of the way.
    """
    d = np.asarray(model_minus_consensus, dtype=float)
    a = np.asarray(actual_minus_consensus, dtype=float)
    ok = np.isfinite(d) & np.isfinite(a)
    if ok.sum() < min_pairs or float(d[ok] @ d[ok]) <= 0:
        return 1.0
    return float(np.clip(d[ok] @ a[ok] / (d[ok] @ d[ok]), 0.0, 1.0))


def consensus_weights_at(rows: pd.DataFrame, released: pd.Series, min_pairs: int = 12) -> pd.Series:
    """Per row, the :func:`consensus_weight` of the same model's polls known at its origin.

    Args:
        rows: ``model, period, as_of, yhat, consensus, actual`` (past backtest rows with a
            poll, and the rows to score; ``actual`` NaN where not released).
        released: period text -> first-release date.

    Returns:
        Series on ``rows``' index: the weight from the rows of the same model whose period
        was released before the row's ``as_of`` (1 with fewer than ``min_pairs``).
    """
    out = np.ones(len(rows))
    rel = rows["period"].astype(str).map(released)
    # a period never released compares as known after every origin
    rel_day = np.array([d.toordinal() if pd.notna(d) else np.iinfo(np.int64).max for d in rel])
    as_of_day = np.array([d.toordinal() for d in pd.to_datetime(rows["as_of"]).dt.date])
    d_all = (rows["yhat"] - rows["consensus"]).to_numpy(dtype=float)
    a_all = (rows["actual"] - rows["consensus"]).to_numpy(dtype=float)
    for positions in rows.groupby("model").indices.values():
        d, a, known_on = d_all[positions], a_all[positions], rel_day[positions]
        for pos, row in enumerate(positions):
            past = known_on < as_of_day[row]
            past[pos] = False
            out[row] = consensus_weight(d[past], a[past], min_pairs)
    return pd.Series(out, index=rows.index)


def beat_probability(
    row: pd.Series,
    consensus: float,
    errors: pd.DataFrame,
    settings: CalibrationSettings = DEFAULT_SETTINGS,
    *,
    weight: float = 1.0,
) -> float:
    """P(actual > consensus) for one forecast row (``model, as_of, yhat, yhat_lo_80,
    yhat_hi_80``, optional ``horizon``) under its calibrated distribution
    (:func:`row_distribution` from the :func:`forecast_errors` frame ``errors``), centred
    at ``consensus + weight·(yhat − consensus)`` (``weight``: :func:`consensus_weight` of
    the polls known at the origin; 1 = the model's own centre).

    Fallback: with too few known errors, the Gaussian with that centre and the row's own
    80% band (with ``weight = 1`` what ``forecasting.compare.surprise_probability`` gives
    today). NaN for a NaN consensus.
    """
    if not np.isfinite(consensus):
        return float("nan")
    shift = (1.0 - weight) * (float(row["yhat"]) - consensus)
    dist = row_distribution(row, errors, settings)
    if dist is not None:
        return float(dist.prob_above(consensus + shift)[0])
    lo, hi = float(row["yhat_lo_80"]), float(row["yhat_hi_80"])
    return float(surprise_probability(float(row["yhat"]), lo, hi, consensus + shift))
