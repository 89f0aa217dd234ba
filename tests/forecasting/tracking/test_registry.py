"""Registered = published: after the main job, each registered model (the champion first)
predicts the figures the job printed; each version says where it comes from."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from forecasting.tracking import load_registered, register_published


@pytest.fixture(scope="module")
def client(published):  # noqa: ANN001, ANN201
    from forecasting.config import load_settings

    uri = load_settings(published.config).mlflow.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_the_champion_predicts_the_printed_forecast(published, client) -> None:
    from forecasting.config import load_settings

    settings = load_settings(published.config)
    for run in published.job.runs:
        name = f"china-trade-{run.target}"
        champ = client.get_model_version_by_alias(name, "champion")
        assert (
            champ.tags["model"]
            == run.champion
            == run.backtest.ranked(list(run.forecast.rows["model"]))[0]
        )
        model = load_registered(settings, run.target)
        got = model.predict(pd.DataFrame({"period": [run.forecast.period]})).iloc[0]
        printed = run.forecast.rows.set_index("model").loc[run.champion]
        for col in ("yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
            assert got[col] == pytest.approx(printed[col], abs=0.01)


def test_every_version_is_the_published_model_with_its_provenance(published, client) -> None:
    run = published.job.runs[0]
    versions = client.search_model_versions(f"name = 'china-trade-{run.target}'")
    assert {v.tags["model"] for v in versions} == set(run.forecast.rows["model"])
    bt_run = client.get_run(run.backtest_run_id)
    assert bt_run.data.tags["kind"] == "backtest"
    for v in versions:
        alias = v.tags["model"]
        assert v.tags["backtest_run_id"] == run.backtest_run_id
        assert v.tags["data_fingerprint"] == run.forecast.fingerprint
        assert v.tags["as_of"] == run.forecast.as_of.isoformat() == "2026-11-30"
        assert float(v.tags["trailing_mae_36"]) == pytest.approx(
            run.backtest.trailing_mae[alias], abs=1e-4
        )
        assert "mae_ratio_consensus" in v.tags  # the 36 months hold the December 2025 poll
        assert alias in v.description and "as published" in v.description
        info = mlflow.models.get_model_info(f"models:/china-trade-{run.target}/{v.version}")
        inputs = {c["name"]: c for c in info.signature.inputs.to_dict()}
        assert inputs["period"]["required"] and not inputs["as_of"]["required"]
        # the ensemble as registered is the one printed, nowcast and combination included
        if alias == "ensemble":
            model = mlflow.pyfunc.load_model(f"models:/china-trade-{run.target}/{v.version}")
            got = model.predict(pd.DataFrame({"period": [run.forecast.period]})).iloc[0]
            assert got["yhat"] == pytest.approx(run.forecast.ensemble["yhat"], abs=1e-9)


def test_registering_the_same_forecast_again_adds_no_version(published, client) -> None:
    from forecasting.config import load_settings

    run = published.job.runs[1]
    name = f"china-trade-{run.target}"
    before = {str(v.version) for v in client.search_model_versions(f"name = '{name}'")}
    reg = register_published(
        load_settings(published.config),
        run.forecast,
        run.backtest,
        backtest_run_id=run.backtest_run_id,
    )
    assert set(reg.versions.values()) <= before
    assert {str(v.version) for v in client.search_model_versions(f"name = '{name}'")} == before
    assert reg.champion == run.champion


def test_a_reused_version_takes_the_new_tags(published, client) -> None:
    """Registering the same forecast from another backtest run reuses the versions and points
    their tags at that run (then back: the shared job is left as it was)."""
    from forecasting.config import load_settings

    settings = load_settings(published.config)
    run = published.job.runs[1]
    name = f"china-trade-{run.target}"
    for backtest_run_id in ("another-backtest-run", run.backtest_run_id):
        reg = register_published(
            settings, run.forecast, run.backtest, backtest_run_id=backtest_run_id
        )
        for alias, version in reg.versions.items():
            v = client.get_model_version(name, version)
            assert v.tags["model"] == alias
            assert v.tags["backtest_run_id"] == backtest_run_id
