"""One pool of forked workers shared by the backtests of a job, and what is loaded before
the fork."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from forecasting.backtest import run_backtest
from forecasting.worker_pool import shared_workers, workers_for
from tests.forecasting.identity_fixture import observations

MODELS = ["naive", "seasonal_ratio"]


def _rows(obs: pd.DataFrame) -> pd.DataFrame:
    return run_backtest(obs, "exports_yoy", "2025-09", "2025-12", MODELS, jobs=2, warmup=0)


def test_backtests_share_one_pool_and_give_the_rows_of_their_own_pools() -> None:
    obs = observations()
    own = _rows(obs)
    other = obs.iloc[:-1]  # other observations: not the shared workers' copy
    with shared_workers(obs, 2):
        with workers_for(obs, 2) as a, workers_for(obs, 2) as b:
            assert a is b
            with workers_for(other, 2) as c:
                assert c is not a
        with workers_for(obs, 1) as d:  # another number of workers: its own pool
            assert d is not a
        shared = _rows(obs)
        again = _rows(obs)
    pd.testing.assert_frame_equal(shared, own)
    pd.testing.assert_frame_equal(again, own)
    with pytest.raises(RuntimeError):  # shut down on leaving
        a.submit(int)
    with workers_for(obs, 2) as e:  # outside the context, a new pool
        assert e is not a


def test_one_worker_shares_nothing() -> None:
    obs = observations()
    with shared_workers(obs, 1), workers_for(obs, 1) as a, workers_for(obs, 1) as b:
        assert a is not b


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


PROBE = """
    import sys
    from forecasting.worker_pool import shared_workers, workers_for
    from tests.forecasting.identity_fixture import observations

    def loaded():
        return "statsmodels.tsa.statespace.sarimax" in sys.modules

    obs = observations()
    assert not loaded()
    with shared_workers(obs, 2, ALIASES), workers_for(obs, 2) as pool:
        print(loaded(), pool.submit(loaded).result())
"""


def test_the_models_prepared_before_the_fork_are_loaded_in_the_workers() -> None:
    assert _run(PROBE.replace("ALIASES", "['arima']")) == "True True"
    assert _run(PROBE.replace("ALIASES", "['naive']")) == "False False"


def test_compile_filter_compiles_what_a_dynreg_fit_runs() -> None:
    code = """
        from datetime import date
        from models import arma_regression as ar
        from forecasting.origin import member_forecasts
        from tests.forecasting.identity_fixture import observations

        ar.compile_filter()
        before = set(ar._filter.signatures)
        rows = member_forecasts(
            observations(), "exports_yoy", "2025-06", date(2025, 7, 8), ["dynreg"]
        ).rows
        assert rows["yhat"].notna().all(), rows
        print(len(before), set(ar._filter.signatures) == before)
    """
    assert _run(code) == "2 True"
