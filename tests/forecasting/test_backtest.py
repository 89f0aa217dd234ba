from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from forecasting.backtest import BACKTEST_COLUMNS, BACKTEST_EXTRA, backtest_origins, run_backtest
from forecasting.errors import DataError, ModelError
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
    assert list(serial.columns) == [*BACKTEST_COLUMNS, *BACKTEST_EXTRA]
    assert not serial["uses_indicators"].any()  # naive uses none
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
    with pytest.raises(ModelError, match="unknown model 'nope'; known models: naive"):
        run_backtest(observations, "exports_yoy", "2024-01", "2024-03", ["nope"])


def test_warmup_weights_the_first_origins_as_an_earlier_start_would(observations) -> None:
    models = ["naive", "seasonal_ratio", "ridge_ar", "ensemble"]
    warm = run_backtest(observations, "exports_yoy", "2024-01", "2024-06", models, jobs=2)
    # only the requested periods come back (2024-01 is part of the Jan-Feb figure)
    assert sorted(warm["period"].unique()) == [
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    # the warm-up is the combination window (24 months): the same rows as a run started then
    early = run_backtest(
        observations, "exports_yoy", "2022-01", "2024-06", models, jobs=2, warmup=0
    )
    early = early[early["period"] >= "2024-01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(warm, early)
    # not vacuous: without a warm-up the first origin has no track record (equal weights)
    cold = run_backtest(observations, "exports_yoy", "2024-01", "2024-06", models, warmup=0)
    first = {f.model: f.yhat for f in cold[cold["period"] == "2024-02"].itertuples()}
    members = [first[m] for m in models[:-1]]
    assert first["ensemble"] == pytest.approx(sum(members) / len(members))
    warm_first = warm[(warm["period"] == "2024-02") & (warm["model"] == "ensemble")]
    assert abs(float(warm_first["yhat"].iloc[0]) - first["ensemble"]) > 1e-6
    with pytest.raises(DataError, match="warmup"):
        run_backtest(observations, "exports_yoy", "2024-01", "2024-06", models, warmup=-1)


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


def test_dask_local_cluster_is_started_once_and_gives_the_same_rows(observations) -> None:
    from forecasting.dask_local import close_local_clusters, local_clusters

    ranges = (("2025-06", "2025-12"), ("2025-03", "2025-05"))
    models = ["naive", "ridge_ar"]
    close_local_clusters()
    try:
        frames, seen = [], []
        for start, end in ranges:
            frames.append(
                run_backtest(
                    observations, "exports_yoy", start, end, models, jobs=2, dask_scheduler="local"
                )
            )
            held = local_clusters()
            assert list(held) == [2]  # one cluster, of backtest.jobs workers
            assert len(held[2].scheduler_info["workers"]) == 2
            seen.append((id(held[2]), held[2].scheduler_address))
        assert seen[0] == seen[1]  # the second backtest ran on the first one's cluster
    finally:
        close_local_clusters()
    assert local_clusters() == {}
    for (start, end), dask in zip(ranges, frames, strict=True):
        pool = run_backtest(observations, "exports_yoy", start, end, models, jobs=2)
        pd.testing.assert_frame_equal(dask, pool)


def test_dask_backtests_back_to_back_on_the_same_data_all_finish(observations) -> None:
    # each backtest scatters the observations to the workers and releases them as it ends;
    # scattered under a key hashed from the data (the same key each time), one of the first
    # twenty backtests in a row had its origins cancelled ("lost dependencies": the previous
    # release, still in flight, took the new copies; a CI failure). Sixty in a row, ~5 s.
    from forecasting.dask_local import close_local_clusters

    close_local_clusters()
    try:
        frames = [
            run_backtest(
                observations,
                "exports_yoy",
                "2025-06",
                "2025-06",
                ["naive"],
                jobs=2,
                dask_scheduler="local",
            )
            for _ in range(60)
        ]
    finally:
        close_local_clusters()
    assert len(frames[0]) == 1
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame, frames[0])


def test_jan_feb_rule_needs_a_first_step_nowcast_from_the_member() -> None:
    from models.ensemble import jan_feb_centre

    def rows(period: str, nowcast: object, yhat: float = 5.0) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"model": "naive", "period": period, "yhat": 1.0, "uses_indicators": False},
                {
                    "model": "kr_surprise",
                    "period": period,
                    "yhat": yhat,
                    "uses_indicators": nowcast,
                },
            ]
        )

    assert jan_feb_centre(rows("2026-02", True), "2026-02") == {"2026-02": "kr_surprise"}
    assert jan_feb_centre(rows("2019-01", True), "2019-01") == {"2019-01": "kr_surprise"}
    assert jan_feb_centre(rows("2026-02", False), "2026-02") == {}  # its seasonal-ratio fallback
    assert jan_feb_centre(rows("2026-02", np.nan), "2026-02") == {}
    assert jan_feb_centre(rows("2026-02", True, np.nan), "2026-02") == {}  # it failed
    assert jan_feb_centre(rows("2026-02", True), "2026-02", None) == {}
    assert jan_feb_centre(rows("2025-12", True), "2025-12") == {}  # not Jan-Feb
    assert jan_feb_centre(rows("2026-02", True).drop(columns="uses_indicators"), "2026-02") == {}
    # a later step of a path is not the first one: the rule is for the first step only
    assert jan_feb_centre(rows("2026-02", True), "2026-01") == {}


def test_ensemble_takes_the_korea_nowcast_for_jan_feb_prints(observations) -> None:
    """With the snapshot's Korean first releases (from 2016), ``kr_surprise`` nowcasts the
    Jan-Feb figures of 2024 and 2025, where the ensemble takes its point, and falls back on its
    seasonal ratio in early 2019 (too little overlap), where the ensemble does not."""
    from dataclasses import replace

    from forecasting.combination import combine_at_origins
    from forecasting.observations import first_release_actuals
    from models.ensemble import EnsembleForecaster

    models = ["naive", "seasonal_ratio", "kr_surprise", "ensemble"]
    frame = run_backtest(observations, "exports_yoy", "2024-02", "2025-04", models, warmup=0)
    wide = frame.pivot(index="period", columns="model", values="yhat")
    jan_feb = [p for p in wide.index if p.endswith("-02")]
    assert jan_feb == ["2024-02", "2025-02"]
    flags = frame[frame["model"] == "kr_surprise"].set_index("period")["uses_indicators"]
    assert flags.loc[jan_feb].all()
    for p in jan_feb:
        assert wide.loc[p, "ensemble"] == pytest.approx(wide.loc[p, "kr_surprise"])
        assert abs(wide.loc[p, "kr_surprise"] - wide.loc[p, "seasonal_ratio"]) > 0.1
    # elsewhere the weighted mean, not the Korea nowcast alone
    others = wide.drop(index=jan_feb)
    assert (others["ensemble"] - others["kr_surprise"]).abs().max() > 0.1
    # the same member rows without the rule: the weighted mean in Jan-Feb too
    members = frame[frame["model"] != "ensemble"].drop(columns=["actual"])
    actual = first_release_actuals(observations, "exports_yoy")
    no_rule = {"ensemble": replace(EnsembleForecaster.rule, jan_feb_member=None)}
    off = combine_at_origins(
        members, ["ensemble"], observations, "exports_yoy", actual=actual, rules=no_rule
    ).set_index("period")
    on = combine_at_origins(
        members, ["ensemble"], observations, "exports_yoy", actual=actual
    ).set_index("period")
    assert on.loc[jan_feb, "yhat"].tolist() == pytest.approx(wide.loc[jan_feb, "ensemble"].tolist())
    for p in jan_feb:
        assert abs(off.loc[p, "yhat"] - on.loc[p, "yhat"]) > 1e-6
        width = off.loc[p, "yhat_hi_80"] - off.loc[p, "yhat_lo_80"]
        assert on.loc[p, "yhat_hi_80"] - on.loc[p, "yhat_lo_80"] == pytest.approx(width)
    rest = [p for p in on.index if p not in jan_feb]
    assert on.loc[rest, "yhat"].tolist() == pytest.approx(off.loc[rest, "yhat"].tolist())
    # early 2019: Korea's months are out, but kr_surprise falls back; no rule
    early = run_backtest(observations, "exports_yoy", "2019-01", "2019-02", models, warmup=0)
    early_wide = early.pivot(index="period", columns="model", values="yhat")
    early_flags = early[early["model"] == "kr_surprise"].set_index("period")["uses_indicators"]
    assert not early_flags.any()
    assert early_wide["kr_surprise"].tolist() == pytest.approx(
        early_wide["seasonal_ratio"].tolist()
    )
    assert (early_wide["ensemble"] - early_wide["kr_surprise"]).abs().min() > 0.1


def _thread_settings() -> dict[str, str | None]:
    import os

    from threadpoolctl import threadpool_info

    from forecasting.worker_pool import THREAD_VARIABLES

    blas = {str(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"}
    return {**{v: os.environ.get(v) for v in THREAD_VARIABLES}, "blas": ",".join(sorted(blas))}


def test_worker_processes_pin_one_blas_thread() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from forecasting.worker_pool import _init_worker

    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=(None,)) as pool:
        got = pool.submit(_thread_settings).result()
    assert got == {
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "blas": "1",
    }


def test_while_fitting_is_called_once_the_workers_run() -> None:
    from forecasting.backtest import run_backtest
    from tests.forecasting.identity_fixture import observations

    obs = observations()
    calls: list[int] = []
    rows = run_backtest(
        obs, "exports_yoy", "2025-11", "2025-12", ["naive"], jobs=2,
        while_fitting=lambda: calls.append(1), warmup=0,
    )  # fmt: skip
    assert calls == [1] and set(rows["period"]) == {"2025-11", "2025-12"}
    run_backtest(
        obs, "exports_yoy", "2025-11", "2025-12", ["naive"], jobs=1,
        while_fitting=lambda: calls.append(2), warmup=0,
    )  # fmt: skip
    assert calls == [1]  # no workers, nothing to overlap


def test_no_fork_while_a_preload_thread_imports() -> None:
    import threading
    import time

    from forecasting.tracking import THREAD_NAME
    from forecasting.worker_pool import _await_importing_threads

    done: list[bool] = []
    thread = threading.Thread(
        target=lambda: (time.sleep(0.3), done.append(True)), name=THREAD_NAME, daemon=True
    )
    thread.start()
    _await_importing_threads()
    assert done == [True]


def test_preload_imports_mlflow_and_the_plots_in_a_thread() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from forecasting.tracking import PRELOADED, preload\n"
        "assert 'mlflow' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "thread = preload()\n"
        "assert preload() is thread\n"
        "thread.join()\n"
        "print(all(name in sys.modules for name in PRELOADED))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
