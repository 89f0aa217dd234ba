"""Origins whose inputs did not change are taken from the store, not refitted: the same rows,
and a new or revised figure refits exactly the origins that could see it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from forecasting.backtest import backtest_origins, run_backtest
from forecasting.db import make_engine
from forecasting.origin_cache import OriginRows, origin_keys
from tests.forecasting.identity_fixture import observations

TARGET = "exports_yoy"
#: a fitted model, a nowcast model and the combination; arima fails before 36 months exist
MODELS = ["naive", "arima", "kr_surprise", "ensemble"]


@pytest.fixture
def store(tmp_path: Path) -> OriginRows:
    return OriginRows(make_engine(f"sqlite:///{tmp_path / 'store.db'}"))


def _run(obs: pd.DataFrame, start: str, end: str, rows: OriginRows | None) -> pd.DataFrame:
    return run_backtest(obs, TARGET, start, end, MODELS, warmup=2, origin_rows=rows)


def test_a_second_backtest_reuses_every_origin_and_gives_the_same_rows(store) -> None:  # noqa: ANN001
    obs = observations()
    fitted = _run(obs, "2025-09", "2025-12", None)
    first = _run(obs, "2025-09", "2025-12", store)
    second = _run(obs, "2025-09", "2025-12", store)
    assert first.attrs["origins_reused"] == 0 and second.attrs["origins_reused"] == 6
    pd.testing.assert_frame_equal(first, fitted)
    pd.testing.assert_frame_equal(second, fitted)


def test_failed_models_come_back_as_they_failed(store) -> None:  # noqa: ANN001
    obs = observations()
    first_period = min(obs.loc[obs["series"] == TARGET, "period"])
    early = str(pd.Period(first_period, freq="M") + 30)  # arima needs 36 months
    fitted = _run(obs, early, early, None)
    assert fitted.loc[fitted["model"] == "arima", "error"].str.contains("36").all()
    _run(obs, early, early, store)
    again = _run(obs, early, early, store)
    assert again.attrs["origins_reused"] == 3
    pd.testing.assert_frame_equal(again, fitted)


def test_a_new_release_refits_only_its_own_origin(store) -> None:  # noqa: ANN001
    obs = observations()
    released = backtest_origins(obs, TARGET, "2025-12", "2025-12")[0].as_of + timedelta(days=1)
    before = obs[obs["released"] < released]  # the store the day before 2025-12's release
    _run(before, "2025-09", "2025-11", store)
    after = _run(obs, "2025-09", "2025-12", store)
    assert after.attrs["origins_reused"] == 5  # 2025-07..2025-11; 2025-12 is new
    pd.testing.assert_frame_equal(after, _run(obs, "2025-09", "2025-12", None))


def test_a_revised_figure_refits_the_origins_after_its_release(store) -> None:  # noqa: ANN001
    obs = observations()
    origins = backtest_origins(obs, TARGET, "2025-07", "2025-12")
    _run(obs, "2025-09", "2025-12", store)
    # a revision of an old month, published between the 3rd and the 4th origin
    day = origins[2].as_of + timedelta(days=3)
    assert origins[2].as_of < day < origins[3].as_of
    revision = obs[(obs["series"] == TARGET) & (obs["period"] == "2024-03")].iloc[[0]]
    revised = pd.concat([obs, revision.assign(value=revision["value"] + 1.0, released=day)])
    again = _run(revised.reset_index(drop=True), "2025-09", "2025-12", store)
    assert again.attrs["origins_reused"] == 3  # the three origins before the revision
    pd.testing.assert_frame_equal(again, _run(revised, "2025-09", "2025-12", None))


def test_keys_follow_the_models_and_ignore_later_figures() -> None:
    obs = observations()
    origins = backtest_origins(obs, TARGET, "2025-10", "2025-11")
    keys = origin_keys(obs, origins, ["naive"])
    assert len(set(keys)) == 2
    assert origin_keys(obs, origins, ["naive", "arima"]) != keys
    later = obs[obs["released"] < origins[-1].as_of]  # drop what was released after
    assert origin_keys(later, origins, ["naive"]) == keys
    earlier = obs[obs["released"] < origins[0].as_of]  # drop what the second origin saw
    assert origin_keys(earlier, origins, ["naive"]) != keys
    assert origin_keys(earlier, origins[:1], ["naive"]) == keys[:1]
