"""The service's error hierarchy. The CLI maps each branch to a message and an exit code.

::

    ForecastingError                 root; exit code 1
    ├── ConfigError                  bad configuration file, key or value; exit 2
    ├── DataError                    bad input data (file, line, column, value); exit 3
    │   └── NotReleasedError         an actual asked for before it is in the store
    ├── ModelFailure                 a model failed, or an unknown model alias; exit 4
    ├── TrackingError                MLflow unreachable or refused a write; exit 5
    └── ScheduleError                scheduler misuse, e.g. a second instance on a store; exit 6
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "ForecastingError",
    "ModelFailure",
    "NotReleasedError",
    "ScheduleError",
    "TrackingError",
]


class ForecastingError(Exception):
    """Root of every error this service raises on purpose."""

    exit_code = 1


class ConfigError(ForecastingError):
    exit_code = 2


class DataError(ForecastingError):
    exit_code = 3


class NotReleasedError(DataError):
    pass


class ModelFailure(ForecastingError):
    exit_code = 4


class TrackingError(ForecastingError):
    exit_code = 5


class ScheduleError(ForecastingError):
    exit_code = 6
