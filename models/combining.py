"""Forecast combination: the one rule every combined forecast is formed by (pure).

:class:`CombinationRule` holds how a combining model forms its forecast from its members'
rows: trimmed inverse-MAE weights (:func:`inverse_mae_weights`) or the per-period median
(:func:`combine_forecasts`), and the Jan–Feb rule (:func:`jan_feb_centre`). The combining
models themselves (:mod:`models.ensemble`) declare their rule; the backtest, the live forecast
and the published model all call :meth:`CombinationRule.combine`.

Intervals are combined by averaging each bound across members (quantile averaging, weighted
the same way as the point forecast), or by the per-period median of each bound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from models.base import FORECAST_COLUMNS, ModelError

__all__ = [
    "JAN_FEB_MEMBER",
    "Combination",
    "CombinationRule",
    "combine_forecasts",
    "inverse_mae_weights",
    "jan_feb_centre",
]

#: the member a weighted combination defers to for January and February targets. Those prints
#: are dominated by the Lunar New Year calendar, which China's own history places poorly and
#: which Korea's realised months (the same holiday, released on the 1st) measure. Chosen on the
#: 2010–2018 backtest (``benchmarks/presample_eval.py``), not on the 2019–2026 evaluation
#: sample: over its 18 Jan/Feb prints ``kr_surprise`` missed by 8.65 (exports) and 8.85
#: (imports) against the trimmed combination's 10.02 and 10.01, and the rule took the 2010–2018
#: MAE from 5.78 to 5.56 (exports) and from 5.91 to 5.71 (imports). Centring the Jan/Feb
#: forecast halfway between the two did slightly less well there (11.30 against 11.28 on the
#: sum of the two targets). The combination's bounds are kept, moved with the point: they
#: covered the Jan/Feb prints better than the member's own, narrower bands.
JAN_FEB_MEMBER = "kr_surprise"


def jan_feb_centre(
    rows: pd.DataFrame, first: str, member: str | None = JAN_FEB_MEMBER
) -> dict[str, str]:
    """The Jan–Feb rule's ``centre_on`` (:func:`combine_forecasts`) for member
    ``rows`` whose first forecast period is ``first``.

    ``{first: member}`` when ``first`` is a January or February print and ``member``'s row for
    it has a forecast and is a nowcast (``uses_indicators``: the fitted model used indicators,
    as ``forecasting.backtest.forecast_path`` and :class:`EnsembleForecaster` record it;
    ``kr_surprise`` adds Korea's news to its first step only, and falls back on its seasonal
    ratio when Korea's month is not out or overlaps too little). Else ``{}``
    (and always with ``member=None`` or without the flag).
    """
    if member is None or "uses_indicators" not in rows or pd.Period(first, freq="M").month > 2:
        return {}
    own = rows[(rows["model"] == member) & (rows["period"] == first)]
    nowcast = own["yhat"].notna() & (own["uses_indicators"] == True)  # noqa: E712 - NaN is False
    return {first: member} if nowcast.any() else {}


def inverse_mae_weights(
    errors: pd.DataFrame, *, window: int = 24, min_obs: int = 6, top: float = 0.5
) -> dict[str, float]:
    """Weights proportional to 1 / trailing MAE of each model, over the better ``top`` share.

    Trimming: of the models with at least ``min_obs`` errors, only the best ``ceil(top * n)``
    by trailing MAE keep a weight; the others get 0 (Aiolfi and Timmermann's trimmed
    combination: a weak member costs more than the diversity it brings). ``top = 1`` keeps
    every model. The share 0.5 was chosen on the 2010–2018 backtest
    (``benchmarks/presample_eval.py``; best in every window there), not on the 2019–2026
    evaluation sample.

    Args:
        errors: columns ``model, period, abs_error``: errors already known at forecast time
            (the caller filters). Rows with NaN ``abs_error`` are ignored.
        window: each model's MAE uses its last ``window`` errors (by period).
        min_obs: a model with fewer errors than this gets the average of the kept models'
            weights; if no model has enough, all models get equal weights.
        top: the share of ranked models that keep a weight, in (0, 1].

    Returns:
        {model: weight}, summing to 1, for every model in ``errors`` (empty if ``errors`` is).
        Models absent from ``errors`` get no entry; :func:`combine_forecasts` gives such models
        the average weight.
    """
    if window < 1 or min_obs < 1:
        raise ValueError("window and min_obs must be >= 1")
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    missing = {"model", "period", "abs_error"} - set(errors.columns)
    if missing:
        raise ValueError(f"errors frame lacks columns {sorted(missing)}")
    models = list(dict.fromkeys(errors["model"]))  # first-appearance order
    if not models:
        return {}
    # the rows with an error, in period order (stable), grouped by model: NumPy, not a
    # pandas filter per model (the backtest asks at every origin)
    abs_error = errors["abs_error"].to_numpy(dtype=float)
    has = ~np.isnan(abs_error)
    periods = errors["period"].astype(str).to_numpy()[has]
    order = np.argsort(periods, kind="stable")
    known_models = errors["model"].to_numpy()[has][order]
    known_errors = abs_error[has][order]
    raw: dict[str, float] = {}
    for model in models:
        recent = known_errors[known_models == model][-window:]
        if len(recent) >= min_obs:
            mae = float(np.abs(recent).mean())
            raw[model] = 1.0 / max(mae, 1e-9)
    if not raw:
        return {m: 1.0 / len(models) for m in models}
    ranked = sorted(raw, key=lambda m: -raw[m])  # stable: ties keep first-appearance order
    kept = ranked[: math.ceil(top * len(ranked))]
    keep = set(kept)
    # the mean in rank order: over the set it followed the string hashes, so the last digits
    # of a weight changed from one process to the next (PYTHONHASHSEED)
    avg = float(np.mean([raw[m] for m in kept]))
    raw = {m: (w if m in keep else 0.0) for m, w in raw.items()}
    unnorm = {m: raw.get(m, avg) for m in models}
    total = sum(unnorm.values())
    return {m: w / total for m, w in unnorm.items()}


def combine_forecasts(
    frames: pd.DataFrame,
    weights: dict[str, float] | None = None,
    how: Literal["weighted", "median"] = "weighted",
    *,
    centre_on: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Combine member forecasts per period.

    Args:
        frames: long frame with ``model, period, yhat`` and interval bounds
            ``yhat_lo_{L}, yhat_hi_{L}``. Rows with NaN ``yhat`` (failed members) are dropped.
        weights: {model: weight} for ``how="weighted"``; None or empty means equal weights.
            Members missing from ``weights`` get the average weight of the members that have
            one; weights of models not in ``frames`` are ignored; weights are renormalised
            over the members present at each period.
        how: ``"weighted"``: weighted mean of ``yhat`` and of each bound (quantile averaging);
            ``"median"``: per-period median of each column.
        centre_on: {period: member} (the Jan–Feb rule): with ``how="weighted"``, that
            member's forecast becomes the period's ``yhat`` and the weighted bounds are shifted
            by the same amount (the combination's spread, centred on that member). A period
            where that member has no finite ``yhat`` keeps the weighted combination.

    Returns:
        ``period, yhat, yhat_lo_{L}, yhat_hi_{L}...`` (the contract columns), one row per
        period, sorted by period.
    """
    if how not in ("weighted", "median"):
        raise ValueError(f"how must be 'weighted' or 'median', got {how!r}")
    if "model" not in frames.columns or "period" not in frames.columns:
        raise ValueError("frames needs 'model' and 'period' columns")
    bound_cols = [c for c in frames.columns if c.startswith(("yhat_lo_", "yhat_hi_"))]
    standard = [c for c in FORECAST_COLUMNS if c in bound_cols]
    value_cols = ["yhat", *standard, *[c for c in bound_cols if c not in standard]]
    good = frames[frames["yhat"].notna()]
    if good.empty:
        raise ModelError("no member forecast to combine")
    # one block per period (sorted), each keeping the members' row order: NumPy rather than a
    # pandas groupby (the backtest combines at every origin)
    all_values = np.column_stack([good[c].to_numpy(dtype=float) for c in value_cols])
    all_periods = good["period"].astype(str).to_numpy()
    all_models = good["model"].to_numpy()
    rows: list[dict[str, object]] = []
    for period in sorted(set(all_periods)):
        at = np.flatnonzero(all_periods == period)
        values = all_values[at]
        if how == "median":
            combined = np.nanmedian(values, axis=0)
        else:
            w = _member_weights(all_models[at].tolist(), weights)
            combined = np.empty(len(value_cols))
            for j in range(len(value_cols)):
                col = values[:, j]
                ok = np.isfinite(col)
                combined[j] = np.sum(w[ok] * col[ok]) / np.sum(w[ok]) if ok.any() else np.nan
            if centre_on and period in centre_on:
                own = values[all_models[at] == centre_on[period], 0]
                if own.size and np.isfinite(own[0]):
                    combined = combined + (own[0] - combined[0])
        rows.append({"period": period, **dict(zip(value_cols, combined, strict=True))})
    return pd.DataFrame(rows, columns=["period", *value_cols])


def _member_weights(members: list[str], weights: dict[str, float] | None) -> np.ndarray:
    if not weights:
        return np.full(len(members), 1.0 / len(members))
    given = [float(weights[m]) for m in members if m in weights]
    avg = float(np.mean(given)) if given else 1.0
    w = np.array([float(weights.get(m, avg)) for m in members])
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    if w.sum() <= 0:
        return np.full(len(members), 1.0 / len(members))
    return w / w.sum()


@dataclass(frozen=True)
class Combination:
    """A combined forecast: ``frame`` (``period, yhat, yhat_lo_L, yhat_hi_L``), the member
    ``weights`` used (empty for a median or equal weights) and the Jan–Feb rule's
    ``centred_on`` ({period: member}, empty when the rule did not apply)."""

    frame: pd.DataFrame
    weights: dict[str, float] = field(default_factory=dict)
    centred_on: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CombinationRule:
    """How a combining model forms its forecast from its members' rows.

    ``how``: weighted mean (weights from :func:`inverse_mae_weights` with ``window``,
    ``min_obs`` and ``top``, over the member errors known when the forecast is made) or the
    per-period median. ``jan_feb_member``: the member a weighted combination is centred on for
    a first-step January/February print that member nowcasts (:func:`jan_feb_centre`).
    """

    how: Literal["weighted", "median"]
    window: int = 24
    min_obs: int = 6
    top: float = 0.5
    jan_feb_member: str | None = None

    def weights(self, errors: pd.DataFrame) -> dict[str, float] | None:
        """Member weights from ``errors`` (``model, period, abs_error``, known at forecast
        time) over their last ``window`` periods (whoever failed in some of them has fewer
        errors there, not older ones); None for a median."""
        if self.how != "weighted":
            return None
        text = errors["period"].astype(str)
        periods = sorted(set(text))[-self.window :]
        recent = errors[text.isin(periods)]
        return inverse_mae_weights(recent, window=self.window, min_obs=self.min_obs, top=self.top)

    def combine(
        self,
        rows: pd.DataFrame,
        weights: Mapping[str, float] | None,
        first: str | None = None,
    ) -> Combination:
        """Combine member ``rows`` (``model, period, yhat`` and bounds; ``uses_indicators``
        for the Jan–Feb rule; rows with NaN ``yhat`` are failed members and ignored).

        ``first``: the first period forecast (the Jan–Feb rule applies to it only); default
        the earliest period in ``rows``.

        Raises:
            ModelError: no member has a forecast.
        """
        good = rows[rows["yhat"].notna()]
        if good.empty:
            raise ModelError("no member forecast to combine")
        first = first if first is not None else str(min(good["period"]))
        weighted = self.how == "weighted"
        centre = jan_feb_centre(rows, first, self.jan_feb_member) if weighted else {}
        frame = combine_forecasts(  # it reads only model, period, yhat and the bounds
            good,
            dict(weights) if weighted and weights else None,
            self.how,
            centre_on=centre,
        )
        used = {k: float(v) for k, v in (weights or {}).items()} if weighted else {}
        return Combination(frame, used, centre)
