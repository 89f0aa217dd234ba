"""What MLflow shows: experiments of the forecasting kind, self-explanatory unique run names,
the comparison with the consensus on backtest, compare and score runs."""

from __future__ import annotations

from datetime import date

import pytest

from forecasting import tracking
from forecasting.errors import ConfigError
from forecasting.usecases import backtest, compare, forecast_release, score_period

BOARD = {"mae_ratio", "win_rate", "direction_hit", "brier", "consensus_mae"}


def test_a_2016_2018_backtest_run_holds_the_consensus_comparison(
    service, settings, mlflow_client
) -> None:
    res = backtest(
        service, "imports_yoy", "2018-01", "2018-12", models=["naive", "ridge_ar", "ensemble"]
    )
    run_id = tracking.log_backtest(settings, res)
    exp = mlflow_client.get_experiment_by_name("china-trade-imports_yoy")
    assert exp.tags[tracking.EXPERIMENT_KIND_TAG] == tracking.EXPERIMENT_KIND == "forecasting"
    parent = mlflow_client.get_run(run_id)
    assert parent.info.run_name.startswith("backtest imports_yoy 2018-01..2018-12 · data ")
    assert "champion" not in parent.data.params  # only a registering job names one
    m = parent.data.metrics
    assert BOARD | {"mae", "rmse", "cov80", "cov95"} <= set(m)
    assert m["consensus_mae"] == pytest.approx(res.board.loc["consensus", "mae"])
    assert m["mae_ratio"] == pytest.approx(res.board.loc["ensemble", "mae_ratio"])
    children = mlflow_client.search_runs(
        [exp.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert {c.data.tags["model"] for c in children} == {"naive", "ridge_ar", "ensemble"}
    champion = res.ranked()[0]
    pictures = {"forecast_vs_actual.png", "residuals.png"}
    for c in children:
        assert set(c.data.metrics) >= BOARD
        files = {a.path for a in mlflow_client.list_artifacts(c.info.run_id)}
        assert "backtest_rows.csv" in files
        # pictures of the ensemble and the champion only, by default
        drawn = c.data.tags["model"] in {"ensemble", champion}
        assert (pictures <= files) == drawn and (pictures & files == set()) == (not drawn)
        assert c.info.run_name.startswith(c.data.tags["model"] + " · backtest imports_yoy")
        assert c.info.status == "FINISHED"
    files = {a.path for a in mlflow_client.list_artifacts(run_id)}
    assert "scoreboard_imports_yoy.csv" in files
    # the same backtest logged again is another run, with another name; every model's
    # pictures on request
    again = tracking.log_backtest(settings, res, plots="all")
    assert mlflow_client.get_run(again).info.run_name != parent.info.run_name
    kids = mlflow_client.search_runs([exp.experiment_id], f"tags.mlflow.parentRunId = '{again}'")
    assert len(kids) == 3
    for c in kids:
        assert pictures <= {a.path for a in mlflow_client.list_artifacts(c.info.run_id)}


def test_plotted_models_are_the_ensemble_and_the_champion(service) -> None:
    res = backtest(
        service, "exports_yoy", "2018-07", "2018-12", models=["naive", "ridge_ar", "ensemble"]
    )
    best = res.ranked()[0]
    assert tracking.plotted_models(res) == [m for m in res.models if m in {"ensemble", best}]
    assert tracking.plotted_models(res, champion="naive") == ["naive", "ensemble"]
    assert tracking.plotted_models(res, "all") == ["naive", "ridge_ar", "ensemble"]
    assert tracking.plotted_models(res, "none") == []
    with pytest.raises(ConfigError, match="'some'"):
        tracking.plotted_models(res, "some")


def test_compare_logs_the_scoreboard_and_no_champion(service, settings, mlflow_client) -> None:
    res = compare(
        service, "exports_yoy", start="2016-01", end="2018-12", models=["naive", "ridge_ar"]
    )
    run_id = tracking.log_compare(settings, res)
    run = mlflow_client.get_run(run_id)
    assert run.info.run_name.startswith("compare exports_yoy 2016-01..2018-12")
    assert run.data.params["periods"] == str(len(res.periods))
    assert "champion" not in run.data.params and "champion" not in run.data.tags
    assert run.data.metrics["consensus_mae"] == pytest.approx(res.board.loc["consensus", "mae"])
    files = {a.path for a in mlflow_client.list_artifacts(run_id)}
    assert {"scoreboard_exports_yoy.csv", "scoreboard.png"} <= files
    exp = mlflow_client.get_experiment_by_name("china-trade-exports_yoy")
    kids = mlflow_client.search_runs([exp.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert {k.data.tags["model"] for k in kids} == {"naive", "ridge_ar"}
    assert all(set(k.data.metrics) >= BOARD for k in kids)


def test_forecast_and_score_runs(service, settings, mlflow_client) -> None:
    fc = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=["naive"])
    run_id, chart = tracking.log_forecast(settings, fc, kind="look-back")
    run = mlflow_client.get_run(run_id)
    assert run.info.run_name.startswith("look-back exports_yoy 2025-12 · as of 2026-01-13")
    assert run.data.metrics["consensus"] == 3.1 and "p_beat" in run.data.metrics
    assert chart.exists() and "fan_exports_yoy_2025-12.png" in {
        a.path for a in mlflow_client.list_artifacts(run_id)
    }
    service.ledger.append(
        fc.rows.assign(target="exports_yoy", as_of=fc.as_of, consensus=3.1, period="2025-12"),
        job_id="t",
        origin="test",
    )
    scored = score_period(service, "2025-12", targets=["exports_yoy"])
    runs = tracking.log_score(settings, scored)
    score_run = mlflow_client.get_run(runs["exports_yoy"])
    assert score_run.data.metrics["actual"] == 6.6
    assert score_run.data.metrics["consensus_mae"] == pytest.approx(3.5)
    assert "mae_ratio.naive" in score_run.data.metrics


def test_an_unreachable_store_is_a_tracking_error_without_the_password(
    project, monkeypatch
) -> None:
    from forecasting.config import load_settings
    from forecasting.errors import TrackingError

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:s3cret@127.0.0.1:9")
    settings = load_settings()
    with pytest.raises(TrackingError) as err:
        from forecasting.tracking._store import connected, experiment_id

        with connected(settings) as mlflow:
            experiment_id(mlflow, settings, "exports_yoy")
    assert "s3cret" not in str(err.value) and "127.0.0.1:9" in str(err.value)
