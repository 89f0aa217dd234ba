"""The use cases: pure over the stores, time as an argument, each returning a result object.

No MLflow and no printing here: :mod:`forecasting.tracking` maps the results to MLflow, the
jobs compose use cases and tracking, and the interfaces (CLI, scheduler) render them.

- :func:`backtest` -> :class:`BacktestResult`
- :func:`forecast_release` -> :class:`ForecastResult`
- :func:`score_period` -> :class:`ScoreResult`
- :func:`compare` -> :class:`CompareResult`
"""

from forecasting.usecases.backtest import (
    CHAMPION_WINDOW,
    BacktestResult,
    backtest,
    write_backtest_csv,
)
from forecasting.usecases.compare import CompareResult, compare
from forecasting.usecases.forecast import ForecastResult, forecast_release
from forecasting.usecases.score import ScoreResult, score_period

__all__ = [
    "CHAMPION_WINDOW",
    "BacktestResult",
    "CompareResult",
    "ForecastResult",
    "ScoreResult",
    "backtest",
    "compare",
    "forecast_release",
    "score_period",
    "write_backtest_csv",
]
