"""The nowcasting models (dynreg, bridge, dfm) on synthetic target = 0.8·indicator + noise."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.indicators import indicator_exog
from forecasting.observations import information_set, target_history
from models.base import FORECAST_COLUMNS, ModelError
from models.periods import is_target_period
from models.registry import create_model

NOWCASTERS = ["dynreg", "bridge", "dfm"]
IND = "kr_exports_yoy"


def synthetic(end: str = "2024-12", seed: int = 3) -> tuple[pd.Series, pd.Series]:
    """(target, indicator) monthly from 2012-01: the indicator is a persistent AR(1) cycle,
    the target 0.8 × indicator + noise; combined Januaries (2020 on) are NaN in the target."""
    periods = pd.period_range("2012-01", end, freq="M")
    rng = np.random.default_rng(seed)
    x = np.zeros(len(periods))
    for t in range(1, len(periods)):
        x[t] = 0.85 * x[t - 1] + rng.normal(0.0, 4.0)
    x = x + 3.0
    y = 0.8 * x + rng.normal(0.0, 1.0, len(periods))
    target = pd.Series(y, index=periods, name="exports_yoy")
    target[[not is_target_period(p) for p in periods]] = np.nan
    return target, pd.Series(x, index=periods, name=IND)


@pytest.fixture(scope="module")
def data() -> tuple[pd.Series, pd.DataFrame]:
    target, x = synthetic()
    return target, x.to_frame()


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.Series, pd.DataFrame]) -> dict:
    target, exog = data
    history = target.loc[:"2024-11"]
    out = {}
    for alias in NOWCASTERS:
        model = create_model(alias, indicators=(IND,)).fit(history, exog)
        out[alias] = (model, model.predict(1, exog))
    return out


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_nowcast_follows_the_indicator(alias: str, fitted: dict, data: tuple) -> None:
    _, exog = data
    model, fc = fitted[alias]
    assert list(fc.columns) == list(FORECAST_COLUMNS)
    assert fc["period"].tolist() == ["2024-12"]
    assert model.used_indicators == (IND,)
    row = fc.iloc[0]
    expected = 0.8 * exog.loc["2024-12", IND]
    assert row["yhat"] == pytest.approx(expected, abs=2.5)
    assert (
        row["yhat_lo_95"]
        < row["yhat_lo_80"]
        < row["yhat"]
        < row["yhat_hi_80"]
        < (row["yhat_hi_95"])
    )
    assert row["yhat_hi_95"] - row["yhat_lo_95"] < 15  # informative, not the naive spread


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_indicator_moves_the_nowcast(alias: str, fitted: dict, data: tuple) -> None:
    target, exog = data
    model, fc = fitted[alias]
    shocked = exog.copy()
    shocked.loc["2024-12", IND] += 10.0
    moved = create_model(alias, indicators=(IND,)).fit(target.loc[:"2024-11"], shocked)
    delta = moved.predict(1, shocked)["yhat"].iloc[0] - fc["yhat"].iloc[0]
    assert 4.0 < delta < 12.0  # about 0.8 × 10


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_unreleased_indicator_is_not_used(alias: str, data: tuple) -> None:
    target, exog = data
    ragged = exog.copy()
    ragged.loc["2024-12", IND] = np.nan
    model = create_model(alias, indicators=(IND,)).fit(target.loc[:"2024-11"], ragged)
    assert model.used_indicators == ()
    fc = model.predict(1, ragged)
    assert np.all(np.isfinite(fc.drop(columns="period").to_numpy(dtype=float)))


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_missing_and_extra_columns(alias: str, data: tuple) -> None:
    target, exog = data
    wide = exog.assign(cn_pmi_new_export_orders=np.nan, unrelated=1.0)
    model = create_model(alias, indicators=(IND, "cn_pmi_new_export_orders"))
    model.fit(target.loc[:"2024-11"], wide)
    assert model.used_indicators == (IND,)


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_without_exog_is_univariate(alias: str, data: tuple) -> None:
    target, _ = data
    model = create_model(alias).fit(target.loc[:"2024-11"])
    assert model.used_indicators == ()
    assert len(model.predict(3)) == 3


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_combined_january_february_target(alias: str, data: tuple) -> None:
    """History ends in December; the next target is the combined Jan–Feb on 2024-02."""
    target, exog = data
    model = create_model(alias, indicators=(IND,)).fit(target.loc[:"2023-12"], exog.loc[:"2024-02"])
    fc = model.predict(1, exog.loc[:"2024-02"])
    assert fc["period"].tolist() == ["2024-02"]
    assert model.used_indicators == (IND,)
    assert fc["yhat"].iloc[0] == pytest.approx(0.8 * exog.loc["2024-02", IND], abs=3.0)


@pytest.mark.parametrize("alias", ["dynreg", "bridge"])
def test_exog_too_short_for_the_horizon(alias: str, fitted: dict) -> None:
    model, _ = fitted[alias]
    with pytest.raises(ModelError, match="indicator_exog"):
        model.predict(3)


def test_bad_exog_index(data: tuple) -> None:
    target, exog = data
    with pytest.raises(ModelError, match="PeriodIndex"):
        create_model("bridge").fit(target.loc[:"2024-11"], exog.reset_index(drop=True))


# -- no look-ahead through the information set --------------------------------------------


def _observations(target: pd.Series, x: pd.Series) -> pd.DataFrame:
    """Vintaged rows: the indicator released on the 1st of M+1, the target on the 9th."""
    rows = []
    for p, v in x.items():
        rows.append((IND, str(p), float(v), (p + 1).to_timestamp().date()))
    for p, v in target.dropna().items():
        rows.append(
            ("exports_yoy", str(p), float(v), (p + 1).to_timestamp().date() + pd.Timedelta(days=8))
        )
    return pd.DataFrame(
        [
            {"series": s, "period": p, "value": v, "released": r, "source": "test"}
            for s, p, v, r in rows
        ]
    )


@pytest.mark.parametrize("alias", NOWCASTERS)
def test_value_released_on_or_after_as_of_does_not_change_the_nowcast(alias: str) -> None:
    target, x = synthetic(end="2024-12")
    obs = _observations(target, x)
    as_of = date(2025, 1, 1)  # Korea's December comes out on 2025-01-01: not yet known
    period = pd.Period("2024-12", "M")

    def nowcast(observations: pd.DataFrame) -> pd.DataFrame:
        info = information_set(observations, as_of)
        history = target_history(info, "exports_yoy")
        exog = indicator_exog(info, [IND], period)
        model = create_model(alias, indicators=(IND,)).fit(history, exog)
        return model.predict(1, exog)

    base = nowcast(obs)
    later = obs.copy()
    december = (later["series"] == IND) & (later["period"] == "2024-12")
    later.loc[december, "value"] = 99.0  # the release itself, on as_of
    revision = {
        "series": IND,
        "period": "2024-11",
        "value": -50.0,
        "released": date(2025, 2, 1),
        "source": "revision",
    }
    later = pd.concat([later, pd.DataFrame([revision])], ignore_index=True)
    pd.testing.assert_frame_equal(nowcast(later), base)
