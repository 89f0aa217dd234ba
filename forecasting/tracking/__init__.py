"""Everything MLflow: results to runs, metrics, artifacts and registered models.

The one place that imports ``mlflow`` (in the shape of an MLflow flavour module: a small set
of functions per kind of result). Each function raises
:class:`~forecasting.errors.TrackingError` when the store cannot be reached or refuses a write,
so that callers record the work elsewhere first and catch the logging up later.

=====================================  ==================================================
``log_backtest(settings, result)``     a backtest: parent run, a child run per model
                                       (pictures of the ensemble and the champion;
                                       ``plots="all"``: every model's)
``log_forecast(settings, result)``     a forecast: headline metrics, rows, fan chart
``log_compare(settings, result)``      a comparison with the consensus: the scoreboard
``log_score(settings, result)``        a released period's forecasts scored
``log_surplus(settings, projection)``  the year's surplus, with the cumulative chart
``log_catch_up(settings, job, rows)``  a ledger job logged after an MLflow outage
``settle_unit(settings, unit, rows)``  a ledger unit's one run (found finished, or caught up)
``sweep_dead_runs(settings)``          end the runs that killed processes left RUNNING
``register_published(...)``            every model as published; the champion alias
``load_registered(settings, target)``  a registered model back, as a pyfunc
``preload()``                          MLflow's imports in a thread (while a backtest fits)
=====================================  ==================================================
"""

from forecasting.tracking._preload import PRELOADED, THREAD_NAME, join_preloads, preload
from forecasting.tracking._store import (
    EXPERIMENT_KIND,
    EXPERIMENT_KIND_TAG,
    experiment_name,
    git_commit,
    registered_model_name,
    run_name,
)
from forecasting.tracking.registry import (
    CHAMPION,
    Registration,
    load_registered,
    predict_registered,
    register_published,
)
from forecasting.tracking.runs import (
    PLOTS,
    fan_chart,
    forecast_tags,
    log_backtest,
    log_catch_up,
    log_forecast,
    plotted_models,
)
from forecasting.tracking.scores import log_compare, log_score
from forecasting.tracking.settle import settle_unit, sweep_dead_runs
from forecasting.tracking.surplus import log_surplus

__all__ = [
    "CHAMPION",
    "EXPERIMENT_KIND",
    "EXPERIMENT_KIND_TAG",
    "PLOTS",
    "PRELOADED",
    "Registration",
    "THREAD_NAME",
    "experiment_name",
    "fan_chart",
    "forecast_tags",
    "git_commit",
    "join_preloads",
    "load_registered",
    "log_backtest",
    "log_catch_up",
    "log_compare",
    "log_forecast",
    "log_score",
    "log_surplus",
    "plotted_models",
    "predict_registered",
    "preload",
    "register_published",
    "registered_model_name",
    "run_name",
    "settle_unit",
    "sweep_dead_runs",
]
