"""The library API end to end on the bundled data with a temporary MLflow store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from forecasting.backtest import BACKTEST_COLUMNS, data_fingerprint, forecast_path
from forecasting.errors import DataError, NotReleasedError
from forecasting.pipeline import (
    backtest,
    compare,
    forecast_release,
    main_job,
    score_period,
    write_backtest_csv,
)
from models.ensemble import jan_feb_centre
from tests.conftest import SHARED, add_print

FAST = ["naive", "arima", "ridge_ar", "ensemble", "ensemble_median"]


@pytest.fixture
def client(settings):  # noqa: ANN001, ANN201
    uri = settings.mlflow.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)  # never a previous test's registry
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_backtest_logs_parent_children_artifacts_and_champion(service, client, tmp_path) -> None:
    result = backtest(service, "exports_yoy", "2023-01", "2025-12", models=FAST, jobs=2)
    assert result.tracking_error is None and result.run_id
    out = tmp_path / "bt.csv"
    assert write_backtest_csv(result.frame, out) is None
    csv = pd.read_csv(out)
    assert list(csv.columns) == list(BACKTEST_COLUMNS)
    assert csv.groupby("period")["model"].apply(set).map(lambda s: s == set(FAST)).all()
    assert csv["actual"].notna().all() and csv["yhat"].notna().all()

    exp = client.get_experiment_by_name("china-trade-exports_yoy")
    parent = client.get_run(result.run_id)
    assert parent.data.params["start"] == "2023-01" and parent.data.params["end"] == "2025-12"
    assert parent.data.params["data_fingerprint"] == result.fingerprint
    assert "git_commit" in parent.data.tags and parent.data.tags["as_of_first"] == "2023-03-06"
    children = client.search_runs(
        [exp.experiment_id], f"tags.mlflow.parentRunId = '{result.run_id}'"
    )
    assert {c.data.tags["model"] for c in children} == set(FAST)
    for c in children:
        assert {"mae", "rmse", "bias", "cov80", "cov95"} <= set(c.data.metrics)
        files = {a.path for a in client.list_artifacts(c.info.run_id)}
        assert {"forecast_vs_actual.png", "residuals.png", "backtest_rows.csv"} <= files
    mae = result.metrics["mae"]
    naive_child = next(c for c in children if c.data.tags["model"] == "naive")
    assert naive_child.data.metrics["mae"] == pytest.approx(mae["naive"])

    champ = client.get_model_version_by_alias("china-trade-exports_yoy", "champion")
    assert champ.tags["model"] == result.champion
    recent = result.frame[result.frame["period"] >= "2023-01"]
    best = (recent["yhat"] - recent["actual"]).abs().groupby(recent["model"]).mean().idxmin()
    assert result.champion == best
    loaded = mlflow.pyfunc.load_model("models:/china-trade-exports_yoy@champion")
    pred = loaded.predict(2)
    assert list(pred["period"]) == ["2026-09", "2026-10"]  # the snapshot ends at 2026-08
    assert (pred["yhat_lo_80"] < pred["yhat"]).all() and (pred["yhat"] < pred["yhat_hi_80"]).all()

    # same data again: no duplicate registry versions
    n_versions = len(client.search_model_versions("name = 'china-trade-exports_yoy'"))
    backtest(service, "exports_yoy", "2023-01", "2025-12", models=FAST, jobs=2)
    assert len(client.search_model_versions("name = 'china-trade-exports_yoy'")) == n_versions


def test_forecast_next_due_names_missing_periods_and_is_json_ready(service) -> None:
    res = forecast_release(service, "exports_yoy", today=date(2026, 11, 29), models=FAST)
    assert res.period == "2026-11" and res.release.basis == "estimated"
    assert res.missing_periods == ["2026-09", "2026-10"]  # the snapshot ends at 2026-08
    assert set(res.rows["model"]) == set(FAST) and res.rows["yhat"].notna().all()
    assert res.consensus is None and res.rows["p_beat"].isna().all()
    payload = json.loads(json.dumps(res.as_dict(), default=str))
    assert payload["ensemble"]["model"] == "ensemble" and payload["consensus"] is None


def test_forecast_as_of_with_consensus_and_already_released(service) -> None:
    res = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=FAST)
    assert res.period == "2025-12" and res.consensus == 3.1 and res.missing_periods == []
    ens = res.ensemble
    assert ens["model_minus_consensus"] == pytest.approx(ens["yhat"] - 3.1)
    assert 0 < ens["p_beat"] < 1
    with pytest.raises(DataError, match=r"already released on 2026-01-14: actual \+6.6"):
        forecast_release(service, "exports_yoy", period="2025-12", models=["naive"])
    with pytest.raises(DataError, match="never released on its own"):
        forecast_release(service, "exports_yoy", period="2027-01", models=["naive"])
    with pytest.raises(DataError, match="unknown target"):
        forecast_release(service, "gdp", models=["naive"])


def test_score_before_and_after_the_actual(service) -> None:
    fc = forecast_release(service, "exports_yoy", period="2026-09", models=["naive"])
    rows = fc.rows.assign(target="exports_yoy", as_of=fc.as_of, consensus=None, period="2026-09")
    service.ledger.append(rows, job_id="t", origin="test")
    before = service.ledger.frame()
    with pytest.raises(NotReleasedError, match="not in the store yet"):
        score_period(service, "2026-09", targets=["exports_yoy"], log=False)
    pd.testing.assert_frame_equal(service.ledger.frame(), before)
    add_print(service, "2026-09", "2026-10-13", exports_yoy=7.0)
    scored = score_period(service, "2026-09", targets=["exports_yoy"], log=False)
    assert scored["abs_error"].item() == pytest.approx(abs(scored["yhat"].item() - 7.0))


def test_compare_2016_2018_consensus_row(service) -> None:
    board, frame = compare(
        service, "exports_yoy", start="2016-01", end="2018-12", models=["naive"], jobs=2
    )
    assert board.loc["consensus", "mae"] == pytest.approx(5.1, abs=0.15)
    assert set(board.index) == {"naive", "consensus"}
    assert board.loc["naive", "n"] == frame["period"].nunique()
    # a second compare reuses the stored backtest of the same data fingerprint
    again, _ = compare(service, "exports_yoy", start="2016-01", end="2018-12", models=["naive"])
    pd.testing.assert_frame_equal(board, again)


def test_main_job_twice_appends_and_keeps_old_ledger_rows(service, client) -> None:
    first = main_job(service, today=date(2026, 11, 29), models=FAST)
    assert [s.forecast.period for s in first] == ["2026-11", "2026-11"]
    assert all(s.run_id and s.tracking_error is None for s in first)
    ledger1 = service.ledger.frame()
    assert len(ledger1) == 2 * len(FAST) and ledger1["mlflow_run_id"].notna().all()
    run = client.get_run(first[0].run_id)
    assert run.data.tags["target_period"] == "2026-11" and "as_of" in run.data.tags
    assert any(a.path.endswith(".png") for a in client.list_artifacts(first[0].run_id))
    main_job(service, today=date(2026, 11, 29), models=FAST)
    ledger2 = service.ledger.frame()
    assert len(ledger2) == 2 * len(ledger1)
    pd.testing.assert_frame_equal(ledger2.iloc[: len(ledger1)], ledger1)
    assert Path(first[0].fan_chart).exists()
    assert Path(first[0].fan_chart).parent == service.settings.service.state_dir / "charts"


def test_main_job_for_a_past_day_registers_models_fitted_on_that_day(service, client) -> None:
    # 2025-12 was released on 2026-01-14: a job run for 2026-01-13 must not see it, nor
    # anything later, in the models it registers either
    summaries = main_job(service, today=date(2026, 1, 13), models=FAST)
    assert summaries[0].forecast.period == "2025-12"
    model = mlflow.pyfunc.load_model("models:/china-trade-exports_yoy@champion")
    assert list(model.predict(1)["period"]) == ["2025-12"]
    obs = service.observations.frame()
    known = obs[obs["released"] < date(2026, 1, 14)]
    version = client.get_model_version_by_alias("china-trade-exports_yoy", "champion")
    assert version.tags["data_fingerprint"] == data_fingerprint(known) != data_fingerprint(obs)


@pytest.mark.skipif(
    not (SHARED / "reference" / "indicators").exists(), reason="reference indicators not present"
)
def test_forecast_shows_indicator_inputs_and_news(service) -> None:
    ref = SHARED / "reference" / "indicators"
    for name in ("kr_exports_first20d_yoy", "cn_pmi_new_export_orders"):
        service.observations.import_csv(ref / f"{name}.csv", today=date(2026, 11, 29), series=name)
    res = forecast_release(
        service,
        "imports_yoy",
        as_of=date(2026, 1, 13),
        models=["naive", "dynreg", "bridge", "dfm", "ensemble"],
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
    kr, ens = early.rows.set_index("model").loc[["kr_surprise", "ensemble"], "yhat"]
    sr = early.rows.set_index("model").loc["seasonal_ratio", "yhat"]
    assert kr == pytest.approx(sr) and ens != pytest.approx(kr)
    assert "centred on" not in " ".join(str(getattr(r, "plain", "")) for r in forecast_panel(early))
    # a path through Jan-Feb to March, before Korea's March is out: kr_surprise falls back
    # for the whole path, so its Jan-Feb step is no nowcast and the rule stays off
    rows, _ = forecast_path(
        service.observations.frame(), "imports_yoy", "2026-03", date(2026, 3, 5), models[:-1]
    )
    kr = rows[rows["model"] == "kr_surprise"].set_index("period")
    assert not kr["uses_indicators"].any() and kr.index[0] == "2026-02"
    assert jan_feb_centre(rows, "2026-02") == {}
    path = forecast_release(
        service, "imports_yoy", period="2026-03", as_of=date(2026, 3, 5), models=models
    ).path.set_index("period")
    assert path.loc["2026-02", "yhat"] != pytest.approx(kr.loc["2026-02", "yhat"])
    # another month: the weighted mean, no rule
    dec = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=models)
    assert dec.period == "2025-12" and dec.centred_on is None
    dec_rows = dec.rows.set_index("model")
    assert dec_rows.loc["ensemble", "yhat"] != pytest.approx(dec_rows.loc["kr_surprise", "yhat"])
    # without the Korea nowcast in the run, a Jan-Feb ensemble is the plain weighted mean
    without = ["naive", "seasonal_ratio", "ensemble"]
    plain = forecast_release(service, "exports_yoy", as_of=date(2026, 3, 8), models=without)
    assert plain.centred_on is None


def test_jan_feb_job_logs_the_centring_to_mlflow(service, client) -> None:
    models = ["naive", "seasonal_ratio", "kr_surprise", "ensemble"]
    (summary,) = main_job(service, today=date(2026, 3, 8), targets=["exports_yoy"], models=models)
    assert summary.forecast.period == "2026-02" and summary.forecast.centred_on == "kr_surprise"
    params = client.get_run(summary.run_id).data.params
    assert params["ensemble_centred_on"] == "kr_surprise"
    (dec,) = main_job(service, today=date(2026, 1, 13), targets=["exports_yoy"], models=models)
    assert "ensemble_centred_on" not in client.get_run(dec.run_id).data.params
