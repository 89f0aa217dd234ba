"""The use cases: pure over the stores, time as an argument, each returning a result object.

No MLflow and no printing here: :mod:`forecasting.tracking` maps the results to MLflow, the
jobs compose use cases and tracking, and the interfaces (CLI, scheduler) render them.

- :func:`backtest` -> :class:`BacktestResult`
- :func:`forecast_release` -> :class:`ForecastResult`
- :func:`score_period` -> :class:`ScoreResult`
- :func:`compare` -> :class:`CompareResult`
- :func:`data_status` -> :class:`DataStatus` (and :func:`overdue_summary`, its one line)
- :func:`last_release` -> :class:`LastReleaseResult`
"""

from forecasting.usecases.backtest import (
    CHAMPION_WINDOW,
    BacktestResult,
    backtest,
    write_backtest_csv,
)
from forecasting.usecases.compare import CompareResult, compare
from forecasting.usecases.data_status import DataStatus, data_status, overdue_summary
from forecasting.usecases.forecast import ForecastResult, forecast_release
from forecasting.usecases.last_release import LastReleaseResult, last_release
from forecasting.usecases.score import ScoreResult, score_period

__all__ = [
    "CHAMPION_WINDOW",
    "BacktestResult",
    "CompareResult",
    "DataStatus",
    "ForecastResult",
    "LastReleaseResult",
    "ScoreResult",
    "backtest",
    "compare",
    "data_status",
    "forecast_release",
    "last_release",
    "overdue_summary",
    "score_period",
    "write_backtest_csv",
]
