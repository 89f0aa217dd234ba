"""The last release with a consensus against the models: from the ledger, the stored backtest
rows at the eve, or a forecast as of the eve (real SQLite store, bundled data, fast models)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from forecasting.usecases import backtest, forecast_release, last_release
from tests.conftest import FAST, FAST_YOY, add_print

TODAY = date(2026, 12, 3)
EVE = date(2026, 1, 13)


def test_december_2025_from_a_forecast_as_of_the_eve(service) -> None:
    result = last_release(service, today=TODAY, models=FAST)
    got = {r.target: r for r in result.releases}
    assert set(got) == {"exports_yoy", "imports_yoy"}
    ex, im = got["exports_yoy"], got["imports_yoy"]
    assert (ex.period, ex.release, ex.eve) == ("2025-12", date(2026, 1, 14), EVE)
    assert (ex.actual, ex.consensus, ex.source) == (6.6, 3.1, "bloomberg")
    assert (im.actual, im.consensus) == (5.7, 0.9)
    assert ex.made_by == "forecast" and list(ex.rows["model"]) == FAST_YOY
    # the very forecast the forecast use case makes as of the eve
    fc = forecast_release(service, "exports_yoy", period="2025-12", as_of=EVE, models=FAST_YOY)
    assert ex.rows["yhat"].tolist() == pytest.approx(fc.rows["yhat"].tolist())
    assert ex.rows["p_beat"].tolist() == pytest.approx(fc.rows["p_beat"].tolist())
    for r in ex.rows.itertuples():
        assert r.abs_error == pytest.approx(abs(r.yhat - 6.6))
        assert r.closer == ("model" if abs(r.yhat - 6.6) < abs(3.1 - 6.6) else "consensus")
        assert 0 < r.p_beat < 1
    assert ex.headline["model"] == "ensemble"
    payload = json.loads(json.dumps(result.as_dict()))
    assert payload["releases"][0]["models"][0]["as_of"] == "2026-01-13"
    assert list(result.by_period()) == ["2025-12"]


def test_the_stored_backtest_rows_give_the_same_forecast(service) -> None:
    """After a backtest over the release (its combination weighted over a full window), the
    eve forecast is read from the stored rows, not refitted, and its points equal the computed
    ones (the intervals are each calibrated on the errors it had on record)."""
    computed = last_release(service, today=TODAY, targets=["imports_yoy"], models=FAST)
    backtest(service, "imports_yoy", "2025-06", "2026-02", models=FAST_YOY, jobs=1)
    stored = last_release(service, today=TODAY, targets=["imports_yoy"], models=FAST)
    a, b = computed.releases[0], stored.releases[0]
    assert (a.made_by, b.made_by) == ("forecast", "backtest")
    cols = ["model", "as_of", "yhat", "model_minus_consensus", "abs_error", "closer"]
    pd.testing.assert_frame_equal(a.rows[cols], b.rows[cols], check_exact=False, rtol=1e-9)


def test_the_ledger_wins_and_a_newer_polled_release_is_found(service) -> None:
    rows = pd.DataFrame(
        {
            "target": ["exports_yoy"] * 3,
            "period": ["2025-12"] * 3,
            "as_of": [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 12)],
            "model": ["naive", "naive", "ensemble"],
            "yhat": [1.0, 5.0, 2.0],
            "yhat_lo_80": [0.0, 4.0, 1.0],
            "yhat_hi_80": [2.0, 6.0, 3.0],
        }
    )
    service.ledger.append(rows, job_id="t", origin="pre-release")
    ex = last_release(service, today=TODAY, targets=["exports_yoy"], models=FAST).releases[0]
    assert ex.made_by == "ledger"
    assert dict(zip(ex.rows["model"], ex.rows["yhat"], strict=True)) == {
        "naive": 5.0,  # the last forecast before the release
        "ensemble": 2.0,
    }
    assert dict(zip(ex.rows["model"], ex.rows["closer"], strict=True)) == {
        "naive": "model",
        "ensemble": "consensus",
    }
    # a poll taken on or after a release is refused; one before it makes that release the last
    service.consensus.add(
        target="exports_yoy",
        period="2026-08",
        value=20.0,
        source="reuters",
        polled_on=date(2026, 9, 1),
        today=TODAY,
    )
    newer = last_release(service, today=TODAY, targets=["exports_yoy"], models=["naive"])
    r = newer.releases[0]
    assert (r.period, r.actual, r.consensus, r.made_by) == ("2026-08", 25.0, 20.0, "forecast")
    # the release must be known on `today`: a print added later does not count before it
    add_print(service, "2026-09", "2026-10-13", exports_yoy=1.0)
    service.consensus.add(
        target="exports_yoy", period="2026-09", value=3.0, source="reuters", today=TODAY
    )
    before = last_release(
        service, today=date(2026, 10, 12), targets=["exports_yoy"], models=["naive"]
    )
    assert before.releases[0].period == "2026-08"
