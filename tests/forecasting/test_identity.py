"""The identity model: the balance implied by the exports and imports forecasts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.identity import (
    identity_backtest,
    identity_bases,
    identity_forecast,
    implied_balance,
    joint_errors,
    sd_from_band,
)


def rows(period: str, yhat: float, sd: float) -> pd.DataFrame:
    z = 1.2815515655446004
    return pd.DataFrame(
        {
            "period": [period],
            "yhat": [yhat],
            "yhat_lo_80": [yhat - z * sd],
            "yhat_hi_80": [yhat + z * sd],
        }
    )


def test_implied_balance_both_forms_agree_when_the_base_balance_matches() -> None:
    x, m = 300.0, 200.0
    levels_form = implied_balance(x, m, 5.0, -2.0)
    assert levels_form == pytest.approx(300 * 1.05 - 200 * 0.98)
    assert implied_balance(x, m, 5.0, -2.0, 100.0) == pytest.approx(levels_form)
    # a common 1% error in the levels: the base-balance form moves by 1% of X'gx - M'gm only
    off = implied_balance(1.01 * x, 1.01 * m, 5.0, -2.0, 100.0)
    assert abs(off - levels_form) == pytest.approx(0.01 * (300 * 0.05 + 200 * 0.02))


def test_identity_bases_sum_january_and_february_2019_for_2020() -> None:
    info = pd.DataFrame(
        [
            ("exports_usd_bn", "2019-01", 217.0),
            ("exports_usd_bn", "2019-02", 135.0),
            ("imports_usd_bn", "2019-01", 178.0),
            ("imports_usd_bn", "2019-02", 131.0),
            ("balance_usd_bn", "2019-01", 39.0),
            ("balance_usd_bn", "2019-02", 4.0),
            ("exports_usd_bn", "2019-03", 199.0),
        ],
        columns=["series", "period", "value"],
    )
    bases = identity_bases(info, ["2020-02", "2020-03"]).set_index("period")
    assert bases.loc["2020-02"].tolist() == [352.0, 309.0, 43.0]
    assert bases.loc["2020-03", "x_base"] == 199.0
    assert np.isnan(bases.loc["2020-03", "m_base"])


def _past(n: int, corr: float, seed: int = 1) -> pd.DataFrame:
    """n past periods whose exports/imports errors (sd 2 and 3) have correlation ``corr``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    ex = 2 * z[:, 0]
    em = 3 * (corr * z[:, 0] + np.sqrt(1 - corr**2) * z[:, 1])
    return pd.DataFrame(
        {"period": [f"p{i:03d}" for i in range(n)], "ex": ex, "em": em, "sx": 2.0, "sm": 3.0}
    )


def test_intervals_respect_the_correlation_of_the_errors() -> None:
    bases = pd.DataFrame(
        {"period": ["2025-07"], "x_base": [300.0], "m_base": [220.0], "b_base": [80.0]}
    )
    ex, im = rows("2025-07", 5.0, 2.0), rows("2025-07", 3.0, 3.0)
    together = identity_forecast(ex, im, bases, _past(60, 0.9))
    apart = identity_forecast(ex, im, bases, _past(60, -0.9))
    width = lambda f: float(f["yhat_hi_80"].iloc[0] - f["yhat_lo_80"].iloc[0])  # noqa: E731
    # errors moving together offset each other in X - M: a narrower balance interval
    assert width(together) < 0.6 * width(apart)
    assert together["yhat"].iloc[0] == pytest.approx(80 + 300 * 0.05 - 220 * 0.03)
    f = together.iloc[0]
    assert f["yhat_lo_95"] <= f["yhat_lo_80"] <= f["yhat"] <= f["yhat_hi_80"] <= f["yhat_hi_95"]


def test_too_few_past_errors_fall_back_to_a_gaussian_with_the_default_correlation() -> None:
    bases = pd.DataFrame(
        {"period": ["2025-07"], "x_base": [300.0], "m_base": [220.0], "b_base": [80.0]}
    )
    ex, im = rows("2025-07", 5.0, 2.0), rows("2025-07", 3.0, 3.0)
    fc = identity_forecast(ex, im, bases, _past(5, 0.0), correlation=0.0).iloc[0]
    sd = np.hypot(300 * 0.02, 220 * 0.03)
    assert fc["yhat_hi_80"] - fc["yhat"] == pytest.approx(1.2815515655446004 * sd)


def test_joint_errors_only_use_periods_released_before_as_of() -> None:
    def bt(values: list[tuple[str, float, float]]) -> pd.DataFrame:
        f = pd.concat([rows(p, y, 2.0) for p, y, _ in values], ignore_index=True)
        return f.assign(actual=[a for _, _, a in values])

    ex = bt([("2025-01", 1.0, 2.0), ("2025-02", 1.0, 4.0), ("2025-03", 1.0, 0.0)])
    im = bt([("2025-01", 0.0, 1.0), ("2025-02", 0.0, -1.0), ("2025-03", 0.0, 5.0)])
    released = {
        "2025-01": date(2025, 2, 7),
        "2025-02": date(2025, 3, 7),
        "2025-03": date(2025, 4, 13),
    }
    errs = joint_errors(ex, im, released, date(2025, 3, 7))
    assert errs["period"].tolist() == ["2025-01"]  # 2025-02 is released on as_of itself
    assert errs[["ex", "em"]].iloc[0].tolist() == [1.0, 1.0]
    assert errs["sx"].iloc[0] == pytest.approx(2.0)
    assert sd_from_band(-1.2815515655446004, 1.2815515655446004) == pytest.approx(1.0)


def test_identity_backtest_uses_only_what_was_known_at_each_origin() -> None:
    obs = []
    for year, (x, m) in ((2023, (300.0, 220.0)), (2024, (315.0, 220.0))):
        for month in range(3, 6):
            p = f"{year}-{month:02d}"
            r = date(year, month + 1, 10)
            obs += [
                ("exports_usd_bn", p, x, r, "report"),
                ("imports_usd_bn", p, m, r, "report"),
                ("balance_usd_bn", p, x - m, r, "report"),
            ]
            if year == 2024:
                obs += [("exports_yoy", p, 5.0, r, "report"), ("imports_yoy", p, 0.0, r, "report")]
    obs = pd.DataFrame(obs, columns=["series", "period", "value", "released", "source"])

    def bt(yhat: float) -> pd.DataFrame:
        f = pd.concat([rows(f"2024-{m:02d}", yhat, 2.0) for m in range(3, 6)], ignore_index=True)
        as_of = [date(2024, m + 1, 9) for m in range(3, 6)]
        return f.assign(model="ensemble", as_of=as_of, actual=yhat)

    out = identity_backtest(bt(5.0), bt(0.0), obs)
    assert out["period"].tolist() == ["2024-03", "2024-04", "2024-05"]
    assert out["model"].unique().tolist() == ["identity"]
    assert np.allclose(out["yhat"], 80 + 300 * 0.05)  # B' + X'gx - M'gm, exact y/y
    assert np.allclose(out["actual"], 95.0)
