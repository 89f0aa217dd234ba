"""The scale-out benchmark's quick mode, and its simulated series."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "data" / "reference" / "indicators"


@pytest.fixture(scope="module")
def scale_out():  # noqa: ANN201
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import scale_out
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return scale_out


def test_quick_mode_times_every_executor(scale_out, capsys: pytest.CaptureFixture[str]) -> None:
    table = scale_out.quick()
    out = capsys.readouterr().out
    assert "SIMULATED" in out
    keys = ["processes-1", "processes-2", "dask-local", "dask-2"]
    assert table["executor"].tolist() == [scale_out.EXECUTORS[k].label for k in keys]
    assert table["workers"].tolist() == [1, 2, 2, 2]
    assert (table["1 series"] > 0).all()
    # a cluster started beforehand is timed apart; the others start nothing beforehand
    started = table["executor"].str.contains("cluster address")
    assert (table.loc[started, "startup_s"] > 0).all()
    assert (table.loc[~started, "startup_s"] == 0).all()


def test_simulated_series_have_the_template_shape(scale_out) -> None:
    periods = [str(p) for p in pd.period_range("2014-01", "2024-12", freq="M")]
    rng = np.random.default_rng(7)
    values = np.cumsum(rng.normal(0, 1, len(periods))) * 0.5 + 5
    released = [pd.Period(p, freq="M").end_time.date() for p in periods]
    template = pd.DataFrame(
        {"series": "t", "period": periods, "value": values, "released": released, "source": "x"}
    )
    sim = scale_out.simulated_observations(template, 3, seed=1)
    assert sorted(set(sim["series"])) == ["simulated_01", "simulated_02", "simulated_03"]
    assert (sim["source"] == scale_out.SIMULATED_SOURCE).all()
    one = sim[sim["series"] == "simulated_02"]
    assert one["period"].tolist() == periods and one["released"].tolist() == released
    assert abs(one["value"].mean() - values.mean()) < 2 * values.std()
    again = scale_out.simulated_observations(template, 3, seed=1)
    pd.testing.assert_frame_equal(sim, again)
    assert not np.allclose(one["value"], sim[sim["series"] == "simulated_01"]["value"])


def test_real_series_start_with_the_targets(scale_out) -> None:
    indicators = REFERENCE if REFERENCE.is_dir() else None
    obs, targets = scale_out.store_observations(indicators)
    chosen = scale_out.real_series(obs, "2023-01", "2024-12", targets)
    assert chosen[: len(targets)] == list(targets)
    assert "kr_exports_yoy" in chosen
    if indicators is None:
        pytest.skip("../shared/data/reference absent: the reference indicators are not checked")
    assert {"cn_pmi_manufacturing", "cn_pmi_new_export_orders"} <= set(chosen)
    # a sparse indicator (Taiwan exports: 11 figures) is left out
    assert "tw_exports_yoy" not in chosen
