from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting.backtest import BACKTEST_COLUMNS, backtest_origins, run_backtest
from forecasting.errors import DataError, ModelFailure
from forecasting.metrics import accuracy_table, trailing_mae
from forecasting.snapshot_loader import SNAPSHOT_OBSERVATIONS, snapshot_path


@pytest.fixture(scope="module")
def observations() -> pd.DataFrame:
    f = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype={"period": str})
    f["released"] = pd.to_datetime(f["released"]).dt.date
    return f


def test_origins_are_the_eve_of_each_first_release(observations) -> None:
    origins = backtest_origins(observations, "exports_yoy", "2019-11", "2020-03")
    assert [o.period for o in origins] == ["2019-11", "2019-12", "2020-02", "2020-03"]
    assert origins[2].as_of == date(2020, 3, 6)  # Jan-Feb released 2020-03-07
    with pytest.raises(DataError, match="no released"):
        backtest_origins(observations, "exports_yoy", "2030-01", "2030-03")


def test_naive_backtest_rows_metrics_and_parallel_equals_serial(observations) -> None:
    serial = run_backtest(observations, "imports_yoy", "2024-01", "2025-12", ["naive"], jobs=1)
    parallel = run_backtest(observations, "imports_yoy", "2024-01", "2025-12", ["naive"], jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert list(serial.columns) == [*BACKTEST_COLUMNS, "error"]
    assert len(serial) == 22  # 2024-01 and 2025-01 are not target periods
    # naive forecasts the previous print: 2025-03's forecast is the Jan-Feb 2025 figure
    row = serial.set_index("period").loc["2025-03"]
    assert row["yhat"] == -8.4 and row["actual"] == -4.3
    assert row["as_of"] == date(2025, 4, 13)
    m = accuracy_table(serial).loc["naive"]
    err = serial["yhat"] - serial["actual"]
    assert m["n"] == 22 and m["mae"] == pytest.approx(err.abs().mean())
    assert m["bias"] == pytest.approx(err.mean())
    inside = (serial["actual"] >= serial["yhat_lo_80"]) & (serial["actual"] <= serial["yhat_hi_80"])
    assert m["cov80"] == pytest.approx(inside.mean())


def test_failures_are_rows_not_gaps(observations) -> None:
    # a history of two points is too short for naive's min_history=3 at the first origins
    obs = observations[observations["series"] == "exports_yoy"]
    obs = obs[obs["period"] >= "2014-01"]
    frame = run_backtest(obs, "exports_yoy", "2014-02", "2014-06", ["naive"])
    assert len(frame) == 5
    failed = frame[frame["yhat"].isna()]
    assert set(failed["period"]) == {"2014-02", "2014-03"}
    assert failed["error"].str.contains("at least 3").all()
    assert frame["actual"].notna().all()


def test_unknown_model_is_a_clear_error(observations) -> None:
    with pytest.raises(ModelFailure, match="unknown model 'nope'; known models: naive"):
        run_backtest(observations, "exports_yoy", "2024-01", "2024-03", ["nope"])


def test_trailing_mae_window_and_failures() -> None:
    f = pd.DataFrame(
        {
            "model": ["a", "b"] * 4,
            "period": [
                "2020-01",
                "2020-01",
                "2020-02",
                "2020-02",
                "2020-03",
                "2020-03",
                "2020-04",
                "2020-04",
            ],
            "yhat": [0, 1, 0, 1, 0, None, 0, 1.0],
            "actual": [10, 10, 1, 1, 2, 2, 3, 3.0],
        }
    )
    mae = trailing_mae(f, months=2)
    assert list(mae.index) == ["a"]  # b failed in the window
    assert mae["a"] == pytest.approx(2.5)
    assert set(trailing_mae(f[f["period"] != "2020-03"], months=2).index) == {"a", "b"}


def test_dask_local_cluster_gives_the_same_rows(observations) -> None:
    dask = run_backtest(
        observations,
        "exports_yoy",
        "2025-06",
        "2025-12",
        ["naive", "ridge_ar"],
        dask_scheduler="local",
    )
    local = run_backtest(observations, "exports_yoy", "2025-06", "2025-12", ["naive", "ridge_ar"])
    pd.testing.assert_frame_equal(dask, local)
