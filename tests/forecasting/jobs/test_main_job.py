"""The main job: every forecast is a run when it is made; the ledger keeps what was said."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from forecasting.backtest import backtest_origins, data_fingerprint, run_backtest
from forecasting.jobs import main_job

QUICK = ["naive", "seasonal_ratio", "kr_surprise", "ensemble"]


def test_the_job_records_every_forecast_with_its_run(published) -> None:
    svc = published.service()
    ledger = svc.ledger.frame()
    job = published.job
    assert [r.forecast.period for r in job.runs] == ["2026-11"] * 3
    assert len(ledger) == job.ledger_rows == sum(len(r.forecast.rows) for r in job.runs)
    assert ledger["mlflow_run_id"].notna().all()
    client = mlflow.MlflowClient(tracking_uri=svc.settings.mlflow.tracking_uri)
    for r in job.runs:
        rows = ledger[ledger["job_id"] == f"{job.job_id}:{r.target}"]
        assert set(rows["mlflow_run_id"]) == {r.run_id}
        run = client.get_run(r.run_id)
        assert run.data.tags["kind"] == "run job" and run.data.tags["target_period"] == "2026-11"
        assert run.info.run_name.startswith(f"run job {r.target} 2026-11 · as of 2026-11-30")
        assert run.data.metrics["yhat"] == pytest.approx(r.forecast.ensemble["yhat"])
        assert any(a.path.endswith(".png") for a in client.list_artifacts(r.run_id))
        # the job's backtest and the registrations are nested under the forecast run
        bt = client.get_run(r.backtest_run_id)
        assert bt.data.tags["mlflow.parentRunId"] == r.run_id
        assert bt.data.params["champion"] == r.champion
        assert r.recorded.chart.parent == svc.settings.service.state_dir / "charts"


def test_a_second_job_appends_and_keeps_the_old_rows(service) -> None:
    first = main_job(service, today=date(2026, 11, 29), targets=["exports_yoy"], models=QUICK)
    ledger1 = service.ledger.frame()
    second = main_job(service, today=date(2026, 11, 29), targets=["exports_yoy"], models=QUICK)
    ledger2 = service.ledger.frame()
    assert len(ledger2) == 2 * len(ledger1)
    pd.testing.assert_frame_equal(ledger2.iloc[: len(ledger1)], ledger1)
    assert first.runs[0].run_id != second.runs[0].run_id
    # the same data, as_of and period: the registry keeps its versions
    assert second.runs[0].registered == first.runs[0].registered
    # and no origin is refitted: every one is taken from the store, with the same rows
    bt1, bt2 = first.runs[0].backtest, second.runs[0].backtest
    warm = str(pd.Period(bt1.start, freq="M") - 24)  # the combinations' warm-up
    every = backtest_origins(service.observations.frame(), "exports_yoy", warm, bt1.end)
    assert bt1.reused == 0 and bt2.reused == len(every)
    pd.testing.assert_frame_equal(bt2.frame, bt1.frame)


def test_a_job_for_a_past_day_registers_what_was_public_then(service) -> None:
    # 2025-12 was released on 2026-01-14: a job run for 2026-01-13 must not see it
    job = main_job(service, today=date(2026, 1, 13), targets=["exports_yoy"], models=QUICK)
    run = job.runs[0]
    assert run.forecast.period == "2025-12"
    uri = service.settings.mlflow.tracking_uri
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    version = client.get_model_version_by_alias("china-trade-exports_yoy", "champion")
    obs = service.observations.frame()
    known = obs[obs["released"] < date(2026, 1, 14)]
    assert version.tags["data_fingerprint"] == data_fingerprint(obs)  # the store it ran on
    model = mlflow.pyfunc.load_model("models:/china-trade-exports_yoy@champion")
    held = model.unwrap_python_model().published.observations
    pd.testing.assert_frame_equal(
        held.sort_values(["series", "period", "released"]).reset_index(drop=True),
        known.sort_values(["series", "period", "released"]).reset_index(drop=True),
    )
    got = model.predict(pd.DataFrame({"period": ["2025-12"]})).iloc[0]
    assert got["yhat"] == pytest.approx(
        run.forecast.rows.set_index("model").loc[run.champion, "yhat"]
    )


def test_a_jan_feb_job_logs_the_centring(service) -> None:
    job = main_job(service, today=date(2026, 3, 8), targets=["exports_yoy"], models=QUICK)
    run = job.runs[0]
    assert run.forecast.period == "2026-02" and run.forecast.centred_on == "kr_surprise"
    client = mlflow.MlflowClient(tracking_uri=service.settings.mlflow.tracking_uri)
    assert client.get_run(run.run_id).data.params["ensemble_centred_on"] == "kr_surprise"
    assert Path(run.recorded.chart).exists()


def test_the_job_shows_the_last_release_from_its_own_backtest(published) -> None:
    """The job's 36-month backtest holds the eve of 2025-12: the comparison reads those rows
    (no refit) and the job carries what is overdue."""
    from forecasting.render_status import last_release_renderables

    job = published.job
    by_target = {r.target: r for r in job.last_release.releases}
    ex = by_target["exports_yoy"]
    assert (ex.period, ex.actual, ex.consensus, ex.made_by) == ("2025-12", 6.6, 3.1, "backtest")
    stored = published.service().backtests
    rows = stored.load(job.runs[0].backtest.fingerprint, "exports_yoy")
    at_eve = rows[(rows["period"] == "2025-12")].set_index("model")["yhat"]
    assert ex.rows.set_index("model")["yhat"].to_dict() == pytest.approx(at_eve.to_dict())
    texts = [r.plain for r in last_release_renderables(job.last_release) if hasattr(r, "plain")]
    text = "\n".join(texts)
    assert "exports_yoy actual +6.6 vs consensus +3.1" in text
    assert job.data_status.today == date(2026, 11, 29)
    assert [d.period for d in job.data_status.get("exports_yoy").overdue] == ["2026-09", "2026-10"]


def test_the_job_forks_one_pool_for_all_its_targets(project, monkeypatch) -> None:  # noqa: ANN001
    import forecasting.worker_pool as wp
    from forecasting.config import load_settings
    from forecasting.service import open_service

    forks: list[int] = []
    new_pool = wp._new_pool
    monkeypatch.setattr(
        wp, "_new_pool", lambda obs, jobs: forks.append(jobs) or new_pool(obs, jobs)
    )
    svc = open_service(load_settings())  # the project's configuration: two workers
    assert svc.settings.backtest.jobs == 2
    job = main_job(
        svc, today=date(2026, 11, 29), targets=["exports_yoy", "imports_yoy"], models=QUICK
    )
    assert [r.target for r in job.runs] == ["exports_yoy", "imports_yoy"] and not job.failures
    assert forks == [2]  # two targets' backtests and forecasts, one fork
    for r in job.runs:  # the workers' rows are the rows a single process computes
        serial = run_backtest(
            svc.observations.frame(), r.target, r.backtest.start, r.backtest.end, QUICK,
            jobs=1, consensus=svc.consensus.best(r.target).set_index("period")["consensus"],
        )  # fmt: skip
        pd.testing.assert_frame_equal(r.backtest.frame.loc[:, list(serial.columns)], serial)
