"""The root of the one error hierarchy and its model branch.

They live at the bottom layer so that the models (which import nothing from the service) raise
errors of the same tree the service maps to exit codes and HTTP statuses. The whole tree is
drawn in :mod:`forecasting.errors`.
"""

from __future__ import annotations

__all__ = ["ForecastingError", "ModelError", "UnknownModelError"]


class ForecastingError(Exception):
    """Root of every error this project raises on purpose."""

    exit_code = 1


class ModelError(ForecastingError):
    """A model could not be fitted or could not forecast, or an unknown model was asked for."""

    exit_code = 4


class UnknownModelError(ModelError, KeyError):
    """An alias that is not in the registry (the message lists the known ones)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])
