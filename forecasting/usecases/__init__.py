"""The use cases: pure over the stores, time as an argument, each returning a result object.

No MLflow and no printing here: :mod:`forecasting.tracking` maps the results to MLflow, the
jobs compose use cases and tracking, and the interfaces (CLI, scheduler) render them.

- :func:`backtest` -> :class:`BacktestResult`
- :func:`forecast_release` -> :class:`ForecastResult`
- :func:`score_period` -> :class:`ScoreResult`
- :func:`compare` -> :class:`CompareResult`
- :func:`data_status` -> :class:`DataStatus` (and :func:`overdue_summary`, its one line)
- :func:`last_release` -> :class:`LastReleaseResult`
- :func:`next_release` -> :class:`NextRelease` (the coming print as last recorded)
- :func:`evolution` -> :class:`Evolution` (one period's forecasts over time)
- :func:`track_record` -> :class:`TrackRecord` (the last releases: model vs consensus)
- :func:`scoreboard_view` -> :class:`Scoreboard` (a window's scoreboard, with or without polls)
- :func:`poll_recency` -> :class:`PollRecency` ("no recent consensus poll" for the balance)
"""

from forecasting.usecases.backtest import (
    CHAMPION_WINDOW,
    BacktestResult,
    backtest,
    write_backtest_csv,
)
from forecasting.usecases.compare import CompareResult, compare
from forecasting.usecases.data_status import DataStatus, data_status, overdue_summary
from forecasting.usecases.evolution import Evolution, evolution
from forecasting.usecases.forecast import ForecastResult, forecast_release
from forecasting.usecases.last_release import LastReleaseResult, last_release
from forecasting.usecases.next_release import NextRelease, next_release
from forecasting.usecases.poll_recency import PollRecency, poll_recency
from forecasting.usecases.score import ScoreResult, score_period
from forecasting.usecases.scoreboard_view import Scoreboard, scoreboard_view
from forecasting.usecases.track_record import TrackRecord, track_record

__all__ = [
    "CHAMPION_WINDOW",
    "BacktestResult",
    "CompareResult",
    "DataStatus",
    "Evolution",
    "ForecastResult",
    "LastReleaseResult",
    "NextRelease",
    "PollRecency",
    "ScoreResult",
    "Scoreboard",
    "TrackRecord",
    "backtest",
    "compare",
    "data_status",
    "evolution",
    "forecast_release",
    "last_release",
    "next_release",
    "overdue_summary",
    "poll_recency",
    "score_period",
    "scoreboard_view",
    "track_record",
    "write_backtest_csv",
]
