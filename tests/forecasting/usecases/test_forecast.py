"""The forecast use case, in-process on the bundled data (no MLflow)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from forecasting.backtest import data_fingerprint
from forecasting.combination import known_errors
from forecasting.errors import DataError
from forecasting.observations import first_release_dates
from forecasting.origin import member_forecasts
from forecasting.usecases import backtest, forecast_release
from models.ensemble import EnsembleForecaster, jan_feb_centre
from tests.conftest import FAST_YOY, SHARED


def test_next_due_names_missing_periods_and_is_json_ready(service) -> None:
    res = forecast_release(service, "exports_yoy", today=date(2026, 11, 29), models=FAST_YOY)
    assert res.period == "2026-11" and res.release.basis == "estimated"
    assert res.missing_periods == ["2026-09", "2026-10"]
    assert list(res.rows["model"]) == FAST_YOY and res.rows["yhat"].notna().all()
    assert res.consensus is None and res.rows["p_beat"].isna().all()
    assert not res.look_back  # as of tomorrow: a forecast before the release
    payload = json.loads(json.dumps(res.as_dict(), default=str))
    assert payload["ensemble"]["model"] == "ensemble" and payload["consensus"] is None
    # the fan chart's path is the ensemble's, from the first missing month to the target
    assert list(res.path["period"]) == [*res.missing_periods, "2026-11"]


def test_as_of_with_consensus_and_already_released(service) -> None:
    res = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=FAST_YOY)
    assert res.period == "2025-12" and res.consensus == 3.1 and res.missing_periods == []
    assert res.look_back
    ens = res.ensemble
    assert ens["model_minus_consensus"] == pytest.approx(ens["yhat"] - 3.1)
    assert 0 < ens["p_beat"] < 1
    with pytest.raises(DataError, match=r"already released on 2026-01-14: actual \+6.6"):
        forecast_release(service, "exports_yoy", period="2025-12", models=["naive"])
    with pytest.raises(DataError, match="never released on its own"):
        forecast_release(service, "exports_yoy", period="2027-01", models=["naive"])
    with pytest.raises(DataError, match="unknown target"):
        forecast_release(service, "gdp", models=["naive"])


def test_the_weights_and_intervals_come_from_the_errors_known_at_as_of(service) -> None:
    """Without a stored backtest the forecast runs the origins its weights and intervals need
    (the last 36 released periods, the calibration window, with the combination's warm-up),
    keeps them, and weights and calibrates exactly as the rules say."""
    as_of = date(2025, 6, 5)
    obs = service.observations.frame()
    assert service.backtests.load(data_fingerprint(obs), "exports_yoy").empty
    res = forecast_release(service, "exports_yoy", as_of=as_of, models=FAST_YOY)
    stored = service.backtests.load(data_fingerprint(obs), "exports_yoy")
    released = first_release_dates(obs, "exports_yoy")
    last36 = sorted(p for p, d in released.items() if d < as_of)[-36:]
    assert set(last36) <= set(stored["period"]) and max(stored["period"]) == last36[-1]
    window = stored[stored["period"].isin(last36)]
    assert window.groupby("period")["model"].agg(set).map(lambda m: m == set(FAST_YOY)).all()
    errors = known_errors(window, released, as_of)
    assert res.weights == pytest.approx(EnsembleForecaster.rule.weights(errors), abs=1e-4)
    # the trimming keeps the better half: one of the three fitted members gets no weight
    assert sorted(v > 0 for v in res.weights.values()) == [False, True, True]
    # every interval is calibrated on its model's own errors (36 known)
    ens = res.rows.set_index("model").loc["ensemble"]
    assert bool(ens["calibrated"])
    miss = (
        window.loc[window["model"] == "ensemble", "actual"]
        - window.loc[window["model"] == "ensemble", "yhat"]
    ).abs()
    half = (ens["yhat_hi_80"] - ens["yhat_lo_80"]) / 2
    assert 0.6 <= (miss <= half).mean() <= 0.95  # about 80% of its own past misses inside
    # a second forecast on the same data reuses the stored rows: same figures
    again = forecast_release(service, "exports_yoy", as_of=as_of, models=FAST_YOY)
    pd.testing.assert_frame_equal(again.rows, res.rows)


def test_the_combination_equals_the_backtest_at_the_same_origin(service) -> None:
    """One combination path: the live forecast as of a release's eve gives the backtest's
    combination (its intervals are calibrated on the errors each one has on record: the
    backtest's own from its warm-up, the forecast's from the calibration window)."""
    bt = backtest(service, "exports_yoy", "2025-01", "2025-06", models=FAST_YOY, jobs=1)
    row = bt.frame[(bt.frame["period"] == "2025-06") & (bt.frame["model"] == "ensemble")].iloc[0]
    fc = forecast_release(service, "exports_yoy", as_of=row["as_of"], models=FAST_YOY)
    ens = fc.rows.set_index("model").loc["ensemble"]
    assert ens["yhat"] == pytest.approx(row["yhat"], abs=1e-9)
    assert bool(ens["calibrated"]) and bool(row["calibrated"])


@pytest.mark.skipif(
    not (SHARED / "reference" / "indicators").exists(), reason="reference indicators not present"
)
def test_indicator_inputs_and_news(service) -> None:
    ref = SHARED / "reference" / "indicators"
    for name in ("kr_exports_first20d_yoy", "cn_pmi_new_export_orders"):
        service.observations.import_csv(ref / f"{name}.csv", today=date(2026, 11, 29), series=name)
    res = forecast_release(
        service, "imports_yoy", as_of=date(2026, 1, 13), models=["naive", "dynreg", "dfm"]
    )
    used = res.indicators.set_index("series")
    assert used.loc["kr_exports_yoy", "value"] == 13.4  # bundled first release, 2026-01-01
    assert str(used.loc["kr_exports_first20d_yoy", "released"]) == "2025-12-21"
    assert res.news is not None and "kr_exports_yoy" in set(res.news["indicator"])
    # no figure released on or after as_of appears among the inputs
    assert all(pd.isna(d) or d < date(2026, 1, 13) for d in res.indicators["released"])
    assert res.rows["yhat"].notna().all()


def test_jan_feb_forecast_is_centred_on_the_korea_nowcast(service) -> None:
    from forecasting.render import forecast_panel

    models = ["naive", "seasonal_ratio", "kr_surprise", "ensemble"]
    # Korea's February is out on March 1, China's Jan-Feb figure on March 10
    res = forecast_release(service, "exports_yoy", as_of=date(2026, 3, 8), models=models)
    assert res.period == "2026-02" and res.centred_on == "kr_surprise"
    rows = res.rows.set_index("model")
    assert rows.loc["ensemble", "yhat"] == pytest.approx(rows.loc["kr_surprise", "yhat"])
    assert rows.loc["ensemble", "yhat"] != pytest.approx(rows.loc["naive", "yhat"])
    assert res.as_dict()["ensemble_centred_on"] == "kr_surprise"
    text = " ".join(str(getattr(r, "plain", "")) for r in forecast_panel(res))
    assert "centred on kr_surprise" in text
    # before Korea's February is out, kr_surprise is only its seasonal-ratio fallback: no rule
    early = forecast_release(service, "exports_yoy", as_of=date(2026, 2, 20), models=models)
    assert early.period == "2026-02" and early.centred_on is None
    yhat = early.rows.set_index("model")["yhat"]
    assert yhat["kr_surprise"] == pytest.approx(yhat["seasonal_ratio"])
    weighted = sum(w * yhat[m] for m, w in early.weights.items()) / sum(early.weights.values())
    assert yhat["ensemble"] == pytest.approx(weighted, abs=1e-3)  # the plain weighted mean
    # a path through Jan-Feb to March, before Korea's March is out: kr_surprise falls back
    # for the whole path, so its Jan-Feb step is no nowcast and the rule stays off
    rows = member_forecasts(
        service.observations.frame(), "imports_yoy", "2026-03", date(2026, 3, 5), models[:-1]
    ).rows
    kr = rows[rows["model"] == "kr_surprise"].set_index("period")
    assert not kr["uses_indicators"].any() and kr.index[0] == "2026-02"
    assert jan_feb_centre(rows, "2026-02") == {}
    # without the Korea nowcast in the run, a Jan-Feb ensemble is the plain weighted mean
    without = ["naive", "seasonal_ratio", "ensemble"]
    plain = forecast_release(service, "exports_yoy", as_of=date(2026, 3, 8), models=without)
    assert plain.centred_on is None
