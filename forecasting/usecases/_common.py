"""What every use case checks first: the target and the model set."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from forecasting.combination import split_models
from forecasting.config import TARGETS
from forecasting.errors import DataError
from forecasting.service import Service

__all__ = ["checked_target", "data_as_of", "model_set"]


def checked_target(target: str) -> str:
    """``target`` if it is a known target.

    Raises:
        DataError: naming the known targets.
    """
    if target not in TARGETS:
        raise DataError(f"unknown target {target!r}; known targets: {', '.join(TARGETS)}")
    return target


def model_set(service: Service, models: Sequence[str] | None) -> list[str]:
    """The aliases to run (default: the configured set), each checked against the registry.

    Raises:
        UnknownModelError: an unknown alias (the message lists the known ones).
        ModelError: combiners without a fitted model beside them.
    """
    from forecasting.errors import ModelError

    aliases = list(dict.fromkeys(models)) if models else list(service.settings.models.default)
    fitted, combiners = split_models(aliases)
    if combiners and not fitted:
        raise ModelError(
            f"{', '.join(combiners)} combine other models: give at least one fitted model too"
        )
    return aliases


def data_as_of(observations: pd.DataFrame) -> date | None:
    """The latest release date in ``observations`` (what "the data" is as of)."""
    return None if observations.empty else max(observations["released"])
