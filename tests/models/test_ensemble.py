"""Forecast combination: inverse-MAE weights, weighted/median combination, ensemble models."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.base import FORECAST_COLUMNS, Forecaster, ModelError, PointForecast
from models.ensemble import (
    JAN_FEB_MEMBER,
    EnsembleForecaster,
    MedianEnsembleForecaster,
    combine_forecasts,
    inverse_mae_weights,
)
from models.registry import MODEL_PATHS, UnknownModelError, create_model


def errors_frame(spec: dict[str, list[float]], start: str = "2020-02") -> pd.DataFrame:
    rows = []
    for model, errs in spec.items():
        periods = pd.period_range(start, periods=len(errs), freq="M")
        rows += [
            {"model": model, "period": str(p), "abs_error": e}
            for p, e in zip(periods, errs, strict=True)
        ]
    return pd.DataFrame(rows, columns=["model", "period", "abs_error"])


def member_rows(
    spec: dict[str, tuple[float, float, float, float, float]], period: str = "2025-03"
) -> pd.DataFrame:
    """{model: (yhat, lo80, hi80, lo95, hi95)} -> long member frame."""
    return pd.DataFrame(
        [
            {
                "model": m,
                "period": period,
                "yhat": v[0],
                "yhat_lo_80": v[1],
                "yhat_hi_80": v[2],
                "yhat_lo_95": v[3],
                "yhat_hi_95": v[4],
            }
            for m, v in spec.items()
        ]
    )


# -- inverse_mae_weights ------------------------------------------------------------------------
def test_weights_inverse_to_mae() -> None:
    w = inverse_mae_weights(errors_frame({"a": [1.0] * 6, "b": [2.0] * 6}), top=1.0)
    assert w == pytest.approx({"a": 2 / 3, "b": 1 / 3})


def test_weights_use_only_the_trailing_window() -> None:
    # a's two oldest errors are huge; with window=6 only the last six (all 1.0) count
    w = inverse_mae_weights(
        errors_frame({"a": [100.0, 100.0] + [1.0] * 6, "b": [2.0] * 8}), window=6, top=1.0
    )
    assert w == pytest.approx({"a": 2 / 3, "b": 1 / 3})


def test_weights_window_follows_period_order_not_row_order() -> None:
    frame = errors_frame({"a": [100.0, 1.0, 1.0], "b": [1.0, 1.0, 1.0]})
    shuffled = frame.iloc[[2, 0, 5, 1, 4, 3]]
    w = inverse_mae_weights(shuffled, window=2, min_obs=2, top=1.0)
    assert w == pytest.approx({"a": 0.5, "b": 0.5})


def test_model_with_too_few_errors_gets_the_average_weight() -> None:
    frame = errors_frame({"a": [1.0] * 6, "b": [2.0] * 6, "c": [9.0] * 3})
    w = inverse_mae_weights(frame, top=1.0)
    # raw 1/MAE: a 1, b 0.5; c has 3 < 6 errors -> the average 0.75; total 2.25
    assert w == pytest.approx({"a": 1 / 2.25, "b": 0.5 / 2.25, "c": 0.75 / 2.25})


def test_equal_weights_when_nobody_has_enough() -> None:
    w = inverse_mae_weights(errors_frame({"a": [1.0] * 3, "b": [5.0] * 2}))
    assert w == pytest.approx({"a": 0.5, "b": 0.5})


def test_empty_errors_give_no_weights() -> None:
    assert inverse_mae_weights(pd.DataFrame(columns=["model", "period", "abs_error"])) == {}


def test_nan_errors_are_ignored() -> None:
    frame = errors_frame({"a": [1.0] * 6 + [np.nan], "b": [2.0] * 6})
    assert inverse_mae_weights(frame, top=1.0) == pytest.approx({"a": 2 / 3, "b": 1 / 3})


def test_zero_mae_does_not_divide_by_zero() -> None:
    w = inverse_mae_weights(errors_frame({"a": [0.0] * 6, "b": [1.0] * 6}))
    assert math.isclose(sum(w.values()), 1.0)
    assert w["a"] > 0.99


def test_missing_columns_rejected() -> None:
    with pytest.raises(ValueError, match="abs_error"):
        inverse_mae_weights(pd.DataFrame({"model": ["a"], "period": ["2020-02"]}))


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.lists(st.floats(0.0, 50.0), min_size=0, max_size=30),
        min_size=1,
    )
)
def test_weights_are_positive_and_sum_to_one(spec: dict[str, list[float]]) -> None:
    frame = errors_frame({m: e for m, e in spec.items() if e})
    w = inverse_mae_weights(frame, top=1.0)
    if frame.empty:
        assert w == {}
        return
    assert set(w) == set(frame["model"])
    assert all(v > 0 for v in w.values())
    assert math.isclose(sum(w.values()), 1.0)
    # trimmed: the kept share of the ranked models (>= 6 errors) and every unranked one
    trimmed = inverse_mae_weights(frame)
    ranked = [m for m in w if frame.loc[frame["model"] == m, "abs_error"].size >= 6]
    kept = [m for m in trimmed if trimmed[m] > 0]
    assert math.isclose(sum(trimmed.values()), 1.0)
    if ranked:
        assert len(set(kept) & set(ranked)) == math.ceil(len(ranked) / 2)
        assert set(w) - set(ranked) <= set(kept)


def test_trimming_keeps_the_better_half_by_trailing_mae() -> None:
    frame = errors_frame({"a": [4.0] * 8, "b": [1.0] * 8, "c": [3.0] * 8, "d": [2.0] * 8})
    w = inverse_mae_weights(frame)
    # b (MAE 1) and d (MAE 2) kept, weights 1/1 : 1/2; a and c get nothing
    assert w == pytest.approx({"a": 0.0, "b": 2 / 3, "c": 0.0, "d": 1 / 3})
    # an odd count keeps the larger half; a newcomer (3 < 6 errors) gets the kept average
    frame5 = errors_frame({"a": [4.0] * 8, "b": [1.0] * 8, "c": [3.0] * 8, "n": [0.1] * 3})
    w5 = inverse_mae_weights(frame5)
    assert w5["a"] == 0.0 and w5["b"] > w5["c"] > 0.0
    assert w5["n"] == pytest.approx((w5["b"] + w5["c"]) / 2)
    # the ranking follows the trailing window: a recovered, b slipped
    recent = errors_frame({"a": [9.0] * 6 + [1.0] * 6, "b": [1.0] * 6 + [9.0] * 6})
    assert inverse_mae_weights(recent, window=6) == pytest.approx({"a": 1.0, "b": 0.0})
    with pytest.raises(ValueError, match="top"):
        inverse_mae_weights(frame, top=0.0)


# -- combine_forecasts ----------------------------------------------------------------------------
def test_weighted_combination_is_weighted_mean_of_every_column() -> None:
    rows = member_rows({"a": (1.0, 0.0, 2.0, -1.0, 3.0), "b": (3.0, 2.0, 4.0, 1.0, 5.0)})
    out = combine_forecasts(rows, {"a": 0.75, "b": 0.25}, "weighted")
    assert list(out.columns) == list(FORECAST_COLUMNS)
    assert out.iloc[0].to_dict() == pytest.approx(
        {
            "period": "2025-03",
            "yhat": 1.5,
            "yhat_lo_80": 0.5,
            "yhat_hi_80": 2.5,
            "yhat_lo_95": -0.5,
            "yhat_hi_95": 3.5,
        }
    )


def test_centre_on_moves_the_weighted_combination_onto_that_member() -> None:
    spec = {
        "a": (1.0, 0.0, 2.0, -1.0, 3.0),
        "b": (3.0, 2.0, 4.0, 1.0, 5.0),
        "kr": (9.0, 8.5, 9.5, 8.0, 10.0),
    }
    weights = {"a": 0.5, "b": 0.25, "kr": 0.25}
    rows = pd.concat([member_rows(spec, "2025-02"), member_rows(spec, "2025-03")])
    plain = combine_forecasts(rows, weights, "weighted").set_index("period")
    got = combine_forecasts(rows, weights, "weighted", centre_on={"2025-02": "kr"})
    got = got.set_index("period")
    shift = 9.0 - plain.loc["2025-02", "yhat"]  # weighted yhat is 3.5
    assert shift == pytest.approx(5.5)
    assert got.loc["2025-02", "yhat"] == pytest.approx(9.0)
    # the combination's spread, moved with it (not the member's own narrower band)
    for col in FORECAST_COLUMNS[2:]:
        assert got.loc["2025-02", col] == pytest.approx(plain.loc["2025-02", col] + shift)
    # a period not named is left alone
    assert got.loc["2025-03"].tolist() == pytest.approx(plain.loc["2025-03"].tolist())
    # a missing or failed member, and the median, leave the combination as it is
    feb = member_rows(spec, "2025-02")
    without = feb[feb["model"] != "kr"]
    failed = feb.assign(yhat=np.where(feb["model"] == "kr", np.nan, feb["yhat"]))
    for frame in (without, failed):
        pd.testing.assert_frame_equal(
            combine_forecasts(frame, weights, "weighted", centre_on={"2025-02": "kr"}),
            combine_forecasts(without, weights, "weighted"),
        )
    pd.testing.assert_frame_equal(
        combine_forecasts(feb, None, "median", centre_on={"2025-02": "kr"}),
        combine_forecasts(feb, None, "median"),
    )


def test_no_weights_means_equal_weights() -> None:
    rows = member_rows({"a": (1.0, 0.0, 2.0, -1.0, 3.0), "b": (3.0, 2.0, 4.0, 1.0, 5.0)})
    for weights in (None, {}):
        out = combine_forecasts(rows, weights, "weighted")
        assert out["yhat"].iloc[0] == pytest.approx(2.0)
        assert out["yhat_lo_95"].iloc[0] == pytest.approx(0.0)


def test_median_combination() -> None:
    rows = member_rows(
        {
            "a": (1.0, 0.0, 2.0, -1.0, 3.0),
            "b": (3.0, 2.0, 4.0, 1.0, 5.0),
            "c": (10.0, 9.0, 11.0, 8.0, 12.0),
        }
    )
    out = combine_forecasts(rows, {"a": 100.0}, "median")  # weights are ignored
    assert out.iloc[0].drop("period").tolist() == pytest.approx([3.0, 2.0, 4.0, 1.0, 5.0])


def test_failed_member_dropped_and_weights_renormalised() -> None:
    rows = member_rows(
        {
            "a": (1.0, 0.0, 2.0, -1.0, 3.0),
            "b": (4.0, 3.0, 5.0, 2.0, 6.0),
            "c": (np.nan, np.nan, np.nan, np.nan, np.nan),
        }
    )
    out = combine_forecasts(rows, {"a": 0.5, "b": 0.25, "c": 0.25}, "weighted")
    # a and b renormalised to 2/3 and 1/3
    assert out["yhat"].iloc[0] == pytest.approx(2.0)
    assert out["yhat_hi_95"].iloc[0] == pytest.approx(4.0)
    med = combine_forecasts(rows, None, "median")
    assert med["yhat"].iloc[0] == pytest.approx(2.5)


def test_member_without_weight_gets_average_weight_and_extra_weights_ignored() -> None:
    rows = member_rows({"a": (0.0,) * 5, "b": (6.0,) * 5, "c": (12.0,) * 5})
    # a 0.2, b 0.4 given; c missing -> 0.3; "z" is not a member -> ignored
    out = combine_forecasts(rows, {"a": 0.2, "b": 0.4, "z": 5.0}, "weighted")
    assert out["yhat"].iloc[0] == pytest.approx((0.4 * 6 + 0.3 * 12) / 0.9)


def test_several_periods_sorted() -> None:
    rows = pd.concat(
        [
            member_rows(
                {"a": (2.0, 1.0, 3.0, 0.0, 4.0), "b": (4.0, 3.0, 5.0, 2.0, 6.0)}, "2025-04"
            ),
            member_rows(
                {"a": (1.0, 0.0, 2.0, -1.0, 3.0), "b": (3.0, 2.0, 4.0, 1.0, 5.0)}, "2025-03"
            ),
        ]
    )
    out = combine_forecasts(rows, None, "weighted")
    assert out["period"].tolist() == ["2025-03", "2025-04"]
    assert out["yhat"].tolist() == pytest.approx([2.0, 3.0])


def test_combination_errors() -> None:
    rows = member_rows({"a": (np.nan,) * 5})
    with pytest.raises(ModelError):
        combine_forecasts(rows, None, "weighted")
    with pytest.raises(ValueError, match="how"):
        combine_forecasts(member_rows({"a": (1.0,) * 5}), None, "mean")  # type: ignore[arg-type]


# -- ensemble forecasters -------------------------------------------------------------------------
class AlwaysFails(Forecaster):
    alias = "always_fails"
    min_history = 3

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        raise ModelError("this model always fails")

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        raise AssertionError("unreachable")


@pytest.fixture
def with_failing_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODEL_PATHS, "always_fails", f"{__name__}:AlwaysFails")


def test_failing_member_is_skipped_and_recorded(yoy: pd.Series, with_failing_model: None) -> None:
    model = EnsembleForecaster(members=["naive", "always_fails"]).fit(yoy)
    assert set(model.failed_members) == {"always_fails"}
    assert "always fails" in model.failed_members["always_fails"]
    pd.testing.assert_frame_equal(model.predict(3), create_model("naive").fit(yoy).predict(3))


def test_all_members_failing_raises(yoy: pd.Series, with_failing_model: None) -> None:
    with pytest.raises(ModelError, match="every member failed"):
        EnsembleForecaster(members=["always_fails"]).fit(yoy)


def test_weighted_ensemble_matches_combination_of_members(yoy: pd.Series) -> None:
    members = ["naive", "ridge_ar", "base_effect"]
    weights = {"naive": 0.5, "ridge_ar": 0.3, "base_effect": 0.2}
    got = EnsembleForecaster(members=members, weights=weights).fit(yoy).predict(4)
    frames = pd.concat(
        [create_model(m).fit(yoy).predict(4).assign(model=m) for m in members], ignore_index=True
    )
    pd.testing.assert_frame_equal(got, combine_forecasts(frames, weights, "weighted"))
    med = MedianEnsembleForecaster(members=members, weights=weights).fit(yoy).predict(4)
    pd.testing.assert_frame_equal(med, combine_forecasts(frames, None, "median"))


class FakeNowcast(Forecaster):
    """``naive`` plus 10 that says it used an indicator (as ``kr_surprise`` does when Korea's
    month is out), or not (its fallback)."""

    alias = "fake_nowcast"
    min_history = 3
    uses = ("kr_exports_yoy",)

    def _fit(self, history: pd.Series, exog: pd.DataFrame | None) -> None:
        self.used_indicators = self.uses
        self._last = float(history.dropna().iloc[-1])

    def _predict(self, steps: int, exog: pd.DataFrame | None) -> PointForecast:
        mean = np.full(steps, self._last + 10.0)
        return PointForecast(mean=mean, sd=np.full(steps, 2.0))


class FakeFallback(FakeNowcast):
    alias = "fake_fallback"
    uses = ()


def test_ensemble_centres_a_first_step_jan_feb_forecast_on_a_nowcasting_member(
    yoy: pd.Series, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(MODEL_PATHS, "fake_nowcast", f"{__name__}:FakeNowcast")
    monkeypatch.setitem(MODEL_PATHS, "fake_fallback", f"{__name__}:FakeFallback")
    history = yoy[yoy.index <= pd.Period("2024-12", freq="M")]
    weights = {"naive": 0.5, "ridge_ar": 0.3, "fake_nowcast": 0.1, "fake_fallback": 0.1}

    def ensemble(jan_feb: str | None, end: str = "2024-12") -> pd.DataFrame:
        members = ["naive", "ridge_ar", "fake_nowcast", "fake_fallback"]
        rule = replace(EnsembleForecaster.rule, jan_feb_member=jan_feb)
        model = EnsembleForecaster(members=members, weights=weights, rule=rule)
        return model.fit(yoy[yoy.index <= pd.Period(end, freq="M")]).predict(3).set_index("period")

    got, off = ensemble("fake_nowcast"), ensemble(None)
    own = create_model("fake_nowcast").fit(history).predict(3).set_index("period")
    first = got.index[0]
    assert first == "2025-02"  # the next target is the Jan-Feb figure
    assert got.loc[first, "yhat"] == pytest.approx(own.loc[first, "yhat"])
    assert abs(off.loc[first, "yhat"] - own.loc[first, "yhat"]) > 1e-6
    width = off.loc[first, "yhat_hi_80"] - off.loc[first, "yhat_lo_80"]
    assert got.loc[first, "yhat_hi_80"] - got.loc[first, "yhat_lo_80"] == pytest.approx(width)
    # later steps, a member that fell back, and a first step outside Jan-Feb: no rule
    pd.testing.assert_frame_equal(got.iloc[1:], off.iloc[1:])
    pd.testing.assert_frame_equal(ensemble("fake_fallback"), off)
    pd.testing.assert_frame_equal(ensemble("fake_nowcast", "2025-03"), ensemble(None, "2025-03"))
    # the declared rule centres on the Korea-surprise nowcast
    assert EnsembleForecaster(members=["naive"]).rule.jan_feb_member == JAN_FEB_MEMBER
    assert JAN_FEB_MEMBER == "kr_surprise" and MedianEnsembleForecaster.rule.jan_feb_member is None


def test_ensemble_members_validated() -> None:
    with pytest.raises(UnknownModelError, match="known models"):
        EnsembleForecaster(members=["naive", "no_such_model"])
    with pytest.raises(ModelError, match="itself an ensemble"):
        EnsembleForecaster(members=["naive", "ensemble_median"])
    with pytest.raises(ModelError, match="at least one member"):
        EnsembleForecaster(members=[])


def test_default_members_are_registered() -> None:
    model = EnsembleForecaster()
    assert all(m in MODEL_PATHS for m in model.members)
    assert "ensemble" not in model.members and "ensemble_median" not in model.members
