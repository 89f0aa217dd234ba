"""The backtest, score and compare use cases, in-process on the bundled data (no MLflow)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from forecasting.backtest import BACKTEST_COLUMNS
from forecasting.errors import DataError, NotReleasedError, UnknownModelError
from forecasting.usecases import (
    backtest,
    compare,
    forecast_release,
    score_period,
    write_backtest_csv,
)
from tests.conftest import FAST_YOY, add_print


def test_backtest_scores_models_and_the_consensus_and_keeps_the_rows(service, tmp_path) -> None:
    res = backtest(service, "exports_yoy", "2018-01", "2018-09", models=FAST_YOY, jobs=2)
    assert res.models == tuple(FAST_YOY) and (res.start, res.end) == ("2018-01", "2018-09")
    assert res.frame.groupby("period")["model"].apply(list).map(lambda m: m == FAST_YOY).all()
    assert res.frame["actual"].notna().all() and res.failures.empty
    # the 2016-2018 Reuters polls are bundled: every period has one, the board says so
    board = res.board
    assert board is not None and board.loc["consensus", "n"] == 9
    assert board.loc["consensus", "mae"] == pytest.approx(
        (
            res.consensus.reindex(res.frame["period"].unique())
            - res.frame.drop_duplicates("period").set_index("period")["actual"]
        )
        .abs()
        .mean()
    )
    for model in FAST_YOY:
        g = res.frame[res.frame["model"] == model]
        mae = (g["yhat"] - g["actual"]).abs().mean()
        assert board.loc[model, "mae"] == pytest.approx(mae)
        assert board.loc[model, "mae_ratio"] == pytest.approx(mae / board.loc["consensus", "mae"])
        assert {"win_rate", "direction_hit", "brier", "cov80", "cov95"} <= set(board.columns)
    assert res.ranked()[0] == res.trailing_mae.idxmin()
    assert set(res.ranked(["naive", "ridge_ar"])) == {"naive", "ridge_ar"}
    # kept in the store for the same data
    stored = service.backtests.load(res.fingerprint, "exports_yoy")
    reported = stored[stored["period"] >= "2018-01"]
    assert len(reported) == len(res.frame)
    # with the warm-up origins' rows: the errors later forecasts weight and calibrate on
    assert sorted(stored["period"].unique())[:2] == ["2016-01", "2016-02"]
    # a row is calibrated when its model had 12+ errors known at its origin (seasonal_ratio
    # needs 40 months of history, so it failed at the first warm-up origins of 2016)
    assert (res.frame["calibrated"] == (res.frame["n_errors"] >= 12)).all()
    assert res.frame.loc[res.frame["model"] == "ensemble", "calibrated"].all()
    assert res.frame["p_beat"].between(0, 1).all()
    out = tmp_path / "bt.csv"
    assert write_backtest_csv(res, out) is None
    assert list(pd.read_csv(out).columns) == list(BACKTEST_COLUMNS)


def test_backtest_refuses_unknown_targets_and_models(service) -> None:
    with pytest.raises(DataError, match="unknown target 'gdp'"):
        backtest(service, "gdp", "2024-01", "2024-03", models=["naive"])
    with pytest.raises(UnknownModelError, match="known models"):
        backtest(service, "exports_yoy", "2024-01", "2024-03", models=["naive", "nope"])


def test_score_before_and_after_the_actual(service) -> None:
    fc = forecast_release(service, "exports_yoy", period="2026-09", models=["naive"])
    rows = fc.rows.assign(target="exports_yoy", as_of=fc.as_of, consensus=4.0, period="2026-09")
    service.ledger.append(rows, job_id="t", origin="test")
    before = service.ledger.frame()
    with pytest.raises(NotReleasedError, match="not in the store yet"):
        score_period(service, "2026-09", targets=["exports_yoy"])
    pd.testing.assert_frame_equal(service.ledger.frame(), before)
    add_print(service, "2026-09", "2026-10-13", exports_yoy=7.0)
    res = score_period(service, "2026-09", targets=["exports_yoy"])
    assert res.actuals == {"exports_yoy": 7.0}
    got = res.scored.iloc[0]
    assert got["abs_error"] == pytest.approx(abs(got["yhat"] - 7.0))
    assert got["consensus_abs_error"] == pytest.approx(3.0)
    assert bool(got["closer_than_consensus"]) == (got["abs_error"] < 3.0)
    board = res.board("exports_yoy")
    assert board.loc["consensus", "mae"] == pytest.approx(3.0)
    assert board.loc["naive", "win_rate"] == float(got["abs_error"] < 3.0)
    with pytest.raises(DataError, match="holds no forecast"):
        add_print(service, "2026-10", "2026-11-07", exports_yoy=1.0)
        score_period(service, "2026-10", targets=["exports_yoy"])


def test_compare_2016_2018_reuses_the_stored_backtest(service) -> None:
    res = compare(service, "exports_yoy", start="2016-01", end="2018-12", models=["naive"])
    assert res.board.loc["consensus", "mae"] == pytest.approx(5.1, abs=0.15)
    assert set(res.board.index) == {"naive", "consensus"}
    assert res.board.loc["naive", "n"] == len(res.periods) == res.frame["period"].nunique()
    assert res.backtest is not None  # it ran the backtest the store lacked
    again = compare(service, "exports_yoy", start="2016-01", end="2018-12", models=["naive"])
    assert again.backtest is None  # the same data: the stored rows
    pd.testing.assert_frame_equal(res.board, again.board)
    with pytest.raises(DataError, match="has both"):
        compare(service, "exports_yoy", start="2030-01", models=["naive"])


def test_a_look_back_is_flagged_and_a_forecast_ahead_is_not(service) -> None:
    ahead = forecast_release(service, "exports_yoy", today=date(2026, 11, 29), models=["naive"])
    back = forecast_release(service, "exports_yoy", as_of=date(2026, 1, 13), models=["naive"])
    assert not ahead.look_back and back.look_back
