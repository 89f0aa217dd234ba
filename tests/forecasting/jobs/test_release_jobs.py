"""The scheduler's real job functions: versioned pre-release forecasts, an MLflow outage that
loses nothing and is caught up, post-release scoring and the missed record."""

from __future__ import annotations

from datetime import date

import mlflow
import pandas as pd
import pytest

from forecasting.errors import NotReleasedError, TrackingError
from forecasting.jobs import (
    catch_up_tracking,
    missed_releases,
    post_release_job,
    pre_release_job,
    record_missed,
)
from forecasting.service import open_service
from tests.conftest import FAST_YOY, add_print


def test_mlflow_outage_loses_nothing_and_is_caught_up(fast_project, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(TrackingError, match="in the ledger"):
        pre_release_job("2026-11", today=date(2026, 11, 29))
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    svc = open_service()
    ledger = svc.ledger.frame()
    assert len(ledger) == 3 * len(FAST_YOY) and ledger["mlflow_run_id"].isna().all()
    assert set(ledger["job_id"]) == {
        "pre-release:2026-11:v1:exports_yoy",
        "pre-release:2026-11:v1:imports_yoy",
        "pre-release:2026-11:v1:balance_usd_bn",
    }

    assert catch_up_tracking() == 3
    after = svc.ledger.frame()
    assert after["mlflow_run_id"].notna().all()
    pd.testing.assert_frame_equal(
        after.drop(columns="mlflow_run_id"), ledger.drop(columns="mlflow_run_id")
    )
    uri = svc.settings.mlflow.tracking_uri
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    run = client.get_run(after["mlflow_run_id"].iloc[0])
    assert run.data.tags["caught_up"] == "true" and run.data.tags["target_period"] == "2026-11"
    assert catch_up_tracking() == 0  # nothing left, nothing logged twice

    # a second run of the same pre-release job is a clearly versioned second forecast
    run_ids = pre_release_job("2026-11", today=date(2026, 11, 29))
    assert all(run_ids)
    second = svc.ledger.frame()
    assert len(second) == 6 * len(FAST_YOY)
    assert {j.split(":")[2] for j in second["job_id"]} == {"v1", "v2"}
    pd.testing.assert_frame_equal(second.iloc[: len(after)], after)


def test_post_release_scores_once_the_actual_is_in(fast_project) -> None:
    svc = open_service()
    rows = pd.DataFrame(
        {
            "target": ["exports_yoy", "imports_yoy"],
            "period": ["2026-09"] * 2,
            "as_of": [date(2026, 10, 10)] * 2,
            "model": ["naive"] * 2,
            "yhat": [10.0, 20.0],
            "consensus": [5.0, None],
        }
    )
    svc.ledger.append(rows, job_id="t", origin="test")
    with pytest.raises(NotReleasedError):
        post_release_job("2026-09", deadline="2026-10-15T12:00:00+08:00")
    add_print(svc, "2026-09", "2026-10-13", exports_yoy=7.0, imports_yoy=1.0)
    with pytest.raises(NotReleasedError, match="balance_usd_bn 2026-09"):  # every target's
        post_release_job("2026-09", deadline="2026-10-15T12:00:00+08:00")
    add_print(svc, "2026-09", "2026-10-13", balance_usd_bn=110.0)
    assert post_release_job("2026-09", deadline="2026-10-15T12:00:00+08:00") == 2
    record_missed("2026-07")
    assert missed_releases(svc) == ["2026-07"]
