"""indicator_exog / indicators_used: the ragged edge and the Jan–Feb aggregate."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.indicators import INDICATORS_USED_COLUMNS, indicator_exog, indicators_used
from forecasting.observations import information_set

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "data" / "reference" / "indicators"


def _obs(rows: list[tuple[str, str, float, date]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"series": s, "period": p, "value": v, "released": r, "source": "test"}
            for s, p, v, r in rows
        ]
    )


@pytest.fixture
def info() -> pd.DataFrame:
    return _obs(
        [
            ("kr_exports_yoy", "2019-01", -5.0, date(2019, 2, 1)),
            ("kr_exports_yoy", "2019-02", -11.0, date(2019, 3, 1)),
            ("kr_exports_yoy", "2021-01", 10.0, date(2021, 2, 1)),
            ("kr_exports_yoy", "2021-02", 20.0, date(2021, 3, 1)),
            ("kr_exports_yoy", "2021-03", 16.0, date(2021, 4, 1)),
            ("cn_pmi_new_export_orders", "2021-02", 48.8, date(2021, 2, 28)),
            ("exports_yoy", "2021-02", 60.6, date(2021, 3, 7)),
        ]
    )


def test_grid_columns_and_ragged_edge(info: pd.DataFrame) -> None:
    exog = indicator_exog(info, ["kr_exports_yoy", "kr_exports_first20d_yoy"], "2021-04")
    assert list(exog.columns) == ["kr_exports_yoy", "kr_exports_first20d_yoy"]
    assert isinstance(exog.index, pd.PeriodIndex)
    assert str(exog.index[0]) == "2019-01" and str(exog.index[-1]) == "2021-04"
    assert len(exog) == 28  # contiguous monthly grid
    assert np.isnan(exog.loc["2021-04", "kr_exports_yoy"])  # not released: ragged edge
    assert exog["kr_exports_first20d_yoy"].isna().all()  # absent series: all NaN
    assert exog.loc["2021-03", "kr_exports_yoy"] == 16.0


def test_first_period_and_pure(info: pd.DataFrame) -> None:
    before = info.copy()
    exog = indicator_exog(info, ["kr_exports_yoy"], pd.Period("2021-03", "M"), "2020-06")
    assert str(exog.index[0]) == "2020-06"
    pd.testing.assert_frame_equal(info, before)


def test_combined_february_is_jan_feb_mean_from_2020(info: pd.DataFrame) -> None:
    exog = indicator_exog(info, ["kr_exports_yoy"], "2021-03")
    assert exog.loc["2021-02", "kr_exports_yoy"] == pytest.approx(15.0)  # (10 + 20) / 2
    assert exog.loc["2021-01", "kr_exports_yoy"] == 10.0  # January keeps its own value
    # before 2020 customs published January and February separately: no aggregate
    assert exog.loc["2019-02", "kr_exports_yoy"] == -11.0


def test_combined_february_edge_cases(info: pd.DataFrame) -> None:
    # February not released yet: NaN (a January alone is not the Jan–Feb figure)
    early = info[info["released"] < date(2021, 3, 1)]
    exog = indicator_exog(early, ["kr_exports_yoy"], "2021-02")
    assert np.isnan(exog.loc["2021-02", "kr_exports_yoy"])
    # January missing from the source: February alone
    exog = indicator_exog(info, ["cn_pmi_new_export_orders"], "2021-02")
    assert exog.loc["2021-02", "cn_pmi_new_export_orders"] == 48.8


def test_indicators_used_rows(info: pd.DataFrame) -> None:
    used = indicators_used(info, ["kr_exports_yoy", "kr_exports_first20d_yoy"], "2021-03")
    assert list(used.columns) == list(INDICATORS_USED_COLUMNS)
    kr = used[used["series"] == "kr_exports_yoy"].iloc[0]
    assert (kr["period"], kr["value"], kr["released"]) == ("2021-03", 16.0, date(2021, 4, 1))
    missing = used[used["series"] == "kr_exports_first20d_yoy"].iloc[0]
    assert np.isnan(missing["value"]) and missing["released"] is None


def test_indicators_used_lists_january_and_february_for_combined_target(
    info: pd.DataFrame,
) -> None:
    used = indicators_used(info, ["kr_exports_yoy"], "2021-02")
    assert used["period"].tolist() == ["2021-01", "2021-02"]
    assert used["value"].tolist() == [10.0, 20.0]


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference data not available")
def test_reference_kr_exports_ragged_edge(service) -> None:  # noqa: ANN001
    """Import Korea's exports from the reference folder; the store keeps the bundled first
    releases, and a month is in the exog only once its release day has passed."""
    result = service.observations.import_csv(
        REFERENCE / "kr_exports_yoy.csv", today=date.today(), series="kr_exports_yoy"
    )
    assert result.added > 200 and result.skipped > 50
    released = service.observations.release_dates("kr_exports_yoy")["2024-06"]
    frame = service.observations.frame()

    on_release_day = information_set(frame, released)
    exog = indicator_exog(on_release_day, ["kr_exports_yoy"], "2024-06")
    assert np.isnan(exog.loc["2024-06", "kr_exports_yoy"])
    assert np.isfinite(exog.loc["2024-05", "kr_exports_yoy"])
    assert str(exog.index[0]) <= "1990-01"  # the long revised history came with the import

    day_after = information_set(frame, released + timedelta(days=1))
    exog = indicator_exog(day_after, ["kr_exports_yoy"], "2024-06")
    stored = frame[(frame["series"] == "kr_exports_yoy") & (frame["period"] == "2024-06")]
    first = stored.sort_values("released")["value"].iloc[0]
    assert exog.loc["2024-06", "kr_exports_yoy"] == pytest.approx(first)


def test_periods_as_period_objects_give_the_same_frame(info: pd.DataFrame) -> None:
    as_periods = info.assign(period=[pd.Period(p, freq="M") for p in info["period"]])
    names = sorted(set(info["series"]))
    pd.testing.assert_frame_equal(
        indicator_exog(as_periods, names, "2021-06"), indicator_exog(info, names, "2021-06")
    )
