"""The published model predicts what the forecast printed, and refits honestly otherwise."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting.errors import DataError
from forecasting.published import PUBLISHED_COLUMNS
from forecasting.usecases import forecast_release
from tests.conftest import FAST_YOY


@pytest.fixture
def forecast(service):  # noqa: ANN001, ANN201
    return forecast_release(service, "exports_yoy", today=date(2026, 11, 29), models=FAST_YOY)


def test_each_model_predicts_the_published_figures(forecast) -> None:
    for alias in FAST_YOY:
        got = forecast.published(alias).predict(pd.DataFrame({"period": ["2026-11"]}))
        assert list(got.columns) == list(PUBLISHED_COLUMNS)
        want = forecast.rows.set_index("model").loc[alias]
        row = got.iloc[0]
        assert (row["target"], row["period"], row["model"]) == ("exports_yoy", "2026-11", alias)
        assert row["as_of"] == forecast.as_of.isoformat()
        for col in ("yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
            assert row[col] == pytest.approx(want[col], abs=1e-9), (alias, col)


def test_an_earlier_as_of_refits_on_what_was_public_then(service, forecast) -> None:
    model = forecast.published("ensemble")
    got = model.predict(pd.DataFrame({"period": ["2025-12"], "as_of": ["2026-01-13"]}))
    direct = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=FAST_YOY)
    want = direct.rows.set_index("model").loc["ensemble"]
    assert got.iloc[0]["yhat"] == pytest.approx(want["yhat"], abs=1e-9)
    assert got.iloc[0]["as_of"] == "2026-01-13"
    # a later as_of than the model's cannot see more than the model holds
    later = model.predict(pd.DataFrame({"period": ["2026-11"], "as_of": ["2027-01-01"]}))
    assert later.iloc[0]["as_of"] == forecast.as_of.isoformat()
    # the model holds nothing released on or after its as_of
    assert (model.observations["released"] < forecast.as_of).all()


def test_bad_requests_are_clear_errors(forecast) -> None:
    model = forecast.published("naive")
    with pytest.raises(DataError, match="'period' column"):
        model.predict(pd.DataFrame({"month": ["2026-11"]}))
    with pytest.raises(DataError, match=r"row 1, column 'period': '2026/11'"):
        model.predict(pd.DataFrame({"period": ["2026/11"]}))
    with pytest.raises(DataError, match="never released on its own"):
        model.predict(pd.DataFrame({"period": ["2027-01"]}))
    with pytest.raises(DataError, match=r"row 2, column 'as_of': '20260101'"):
        model.predict(pd.DataFrame({"period": ["2026-11", "2026-11"], "as_of": [None, "20260101"]}))
    with pytest.raises(DataError, match="released on 2026-01-14"):
        model.predict(pd.DataFrame({"period": ["2025-12"]}))
