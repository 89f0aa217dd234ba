"""The NumPy grouping of models.combining gives exactly what the pandas definitions it replaced
gave (kept here as the reference): the same weights, the same combined rows, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.combining import CombinationRule, combine_forecasts, inverse_mae_weights


def reference_weights(
    errors: pd.DataFrame, *, window: int = 24, min_obs: int = 6, top: float = 0.5
) -> dict[str, float]:
    """inverse_mae_weights as written before (a pandas filter per model)."""
    models = list(dict.fromkeys(errors["model"]))
    if not models:
        return {}
    known = errors.dropna(subset=["abs_error"])
    known = known.assign(_p=known["period"].astype(str)).sort_values("_p", kind="stable")
    raw: dict[str, float] = {}
    for model in models:
        recent = known.loc[known["model"] == model, "abs_error"].tail(window)
        if len(recent) >= min_obs:
            mae = float(np.abs(recent.to_numpy(dtype=float)).mean())
            raw[model] = 1.0 / max(mae, 1e-9)
    if not raw:
        return {m: 1.0 / len(models) for m in models}
    ranked = sorted(raw, key=lambda m: -raw[m])
    keep = ranked[: math.ceil(top * len(ranked))]
    avg = float(np.mean([raw[m] for m in keep]))
    raw = {m: (w if m in keep else 0.0) for m, w in raw.items()}
    unnorm = {m: raw.get(m, avg) for m in models}
    total = sum(unnorm.values())
    return {m: w / total for m, w in unnorm.items()}


def reference_combine(
    frames: pd.DataFrame, weights: dict[str, float] | None, how: str, centre_on: dict[str, str]
) -> pd.DataFrame:
    """combine_forecasts as written before (a pandas groupby over the periods)."""
    bound_cols = [c for c in frames.columns if c.startswith(("yhat_lo_", "yhat_hi_"))]
    standard = [
        c for c in ("yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95") if c in bound_cols
    ]
    value_cols = ["yhat", *standard, *[c for c in bound_cols if c not in standard]]
    good = frames[frames["yhat"].notna()]
    rows = []
    for period, group in good.groupby(good["period"].astype(str), sort=True):
        values = group[value_cols].to_numpy(dtype=float)
        if how == "median":
            combined = np.nanmedian(values, axis=0)
        else:
            members = group["model"].tolist()
            if weights:
                given = [float(weights[m]) for m in members if m in weights]
                avg = float(np.mean(given)) if given else 1.0
                w = np.array([float(weights.get(m, avg)) for m in members])
                w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
                w = w / w.sum() if w.sum() > 0 else np.full(len(members), 1.0 / len(members))
            else:
                w = np.full(len(members), 1.0 / len(members))
            combined = np.empty(len(value_cols))
            for j in range(len(value_cols)):
                col = values[:, j]
                ok = np.isfinite(col)
                combined[j] = np.sum(w[ok] * col[ok]) / np.sum(w[ok]) if ok.any() else np.nan
            if period in centre_on:
                own = group.loc[group["model"] == centre_on[period], "yhat"].to_numpy(float)
                if own.size and np.isfinite(own[0]):
                    combined = combined + (own[0] - combined[0])
        rows.append({"period": period, **dict(zip(value_cols, combined, strict=True))})
    return pd.DataFrame(rows, columns=["period", *value_cols])


def random_errors(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Errors of up to eight models in shuffled order, some NaN, some models with few rows,
    ties in the periods."""
    models = [f"m{k}" for k in range(8)]
    weights = rng.dirichlet(np.ones(8))
    periods = pd.period_range("2015-01", periods=40, freq="M").astype(str)
    return pd.DataFrame(
        {
            "model": rng.choice(models, n, p=weights),
            "period": rng.choice(periods, n),
            "abs_error": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 3.0, n)),
        }
    )


@pytest.mark.parametrize("seed", range(6))
def test_inverse_mae_weights_equal_the_pandas_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for n in (0, 5, 40, 300):
        errors = random_errors(rng, n)
        for window, min_obs, top in ((24, 6, 0.5), (5, 2, 1.0), (12, 30, 0.3)):
            got = inverse_mae_weights(errors, window=window, min_obs=min_obs, top=top)
            want = reference_weights(errors, window=window, min_obs=min_obs, top=top)
            assert list(got) == list(want)
            assert got == want  # exactly equal floats


def random_members(rng: np.random.Generator) -> pd.DataFrame:
    """Member rows over three periods in shuffled order, a failed member and a NaN bound."""
    rows = []
    for period in rng.permutation(["2020-03", "2020-01", "2020-02"]):
        for model in rng.permutation([f"m{k}" for k in range(7)]):
            y = float(rng.normal(0, 8))
            rows.append(
                {
                    "model": model,
                    "period": period,
                    "yhat": np.nan if rng.random() < 0.1 else y,
                    "yhat_lo_80": y - 3,
                    "yhat_hi_80": np.nan if rng.random() < 0.1 else y + 3,
                    "yhat_lo_95": y - 5,
                    "yhat_hi_95": y + 5,
                    "yhat_lo_50": y - 1,
                    "yhat_hi_50": y + 1,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(6))
def test_combine_forecasts_equals_the_pandas_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    members = random_members(rng)
    weights = {f"m{k}": float(w) for k, w in enumerate(rng.dirichlet(np.ones(6)))}  # m6 none
    centre = {"2020-01": "m3"}
    for how, w, c in (("weighted", weights, centre), ("weighted", None, {}), ("median", None, {})):
        got = combine_forecasts(members, w, how, centre_on=c)  # type: ignore[arg-type]
        want = reference_combine(members, w, how, c)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_rule_weights_use_the_last_window_periods() -> None:
    rng = np.random.default_rng(3)
    errors = random_errors(rng, 400)
    rule = CombinationRule("weighted", window=10, min_obs=3)
    periods = sorted(set(errors["period"]))[-10:]
    want = reference_weights(errors[errors["period"].isin(periods)], window=10, min_obs=3)
    assert rule.weights(errors) == want
