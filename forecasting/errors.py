"""The service's error hierarchy: one tree, mapped to exit codes by the CLI and to HTTP
statuses by the API.

::

    ForecastingError                 root (models.errors); exit code 1
    ├── ConfigError                  bad configuration file, key or value; exit 2
    │   └── PortInUseError           a server's port is taken (e.g. `forecasting ui --port`)
    ├── DataError                    bad input data (file, line, column, value); exit 3
    │   ├── NotReleasedError         an actual asked for before it is in the store
    │   └── InvalidRowsError         rows of an import refused, each problem kept (``problems``)
    ├── ModelError                   a model failed to fit or forecast (models.errors); exit 4
    │   └── UnknownModelError        an alias not in the registry (lists the known ones)
    ├── TrackingError                MLflow unreachable or refused a write; exit 5
    ├── ScheduleError                scheduler misuse, e.g. a second instance on a store; exit 6
    └── StoreError                   the service store cannot be opened, read or written (a
                                     corrupt or unreadable file, a read-only folder, a lock held
                                     too long, an unreachable database); exit 7

The root and the model branch are defined in :mod:`models.errors`, below the models, so that a
model's failure is a ``ForecastingError`` too; everything else is defined here.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.errors import ForecastingError, ModelError, UnknownModelError

__all__ = [
    "ConfigError",
    "DataError",
    "ForecastingError",
    "InvalidRowsError",
    "ModelError",
    "NotReleasedError",
    "PortInUseError",
    "ScheduleError",
    "StoreError",
    "TrackingError",
    "UnknownModelError",
]


class ConfigError(ForecastingError):
    exit_code = 2


class PortInUseError(ConfigError):
    """Another process already listens on the port a server was asked to use."""


class DataError(ForecastingError):
    exit_code = 3


class NotReleasedError(DataError):
    pass


#: one refused row's problem: (line or item number, column, value, reason); None where unknown
RowProblem = tuple[int | None, str | None, str | None, str]


class InvalidRowsError(DataError):
    """Rows of an import refused (nothing written): the message lists them as the CLI prints
    them, ``problems`` keeps each one apart (the API returns them as a list)."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[RowProblem, ...] = tuple(problems)


class TrackingError(ForecastingError):
    exit_code = 5


class ScheduleError(ForecastingError):
    exit_code = 6


class StoreError(ForecastingError):
    exit_code = 7
