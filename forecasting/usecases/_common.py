"""What every use case checks first: the target and the model set."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from forecasting.combination import split_models
from forecasting.config import TARGETS
from forecasting.errors import DataError
from forecasting.service import Service
from models.registry import MODEL_PATHS

__all__ = ["checked_target", "data_as_of", "model_set", "models_for"]


def checked_target(target: str) -> str:
    """``target`` if it is a known target.

    Raises:
        DataError: naming the known targets.
    """
    if target not in TARGETS:
        raise DataError(f"unknown target {target!r}; known targets: {', '.join(TARGETS)}")
    return target


def model_set(service: Service, target: str, models: Sequence[str] | None = None) -> list[str]:
    """The aliases to run for ``target``: ``models`` (each must take the target's kind of
    series), else the configured set less the models written for another kind (the balance
    target takes its own models, the y/y targets theirs; combiners take any).

    Raises:
        UnknownModelError: an unknown alias (the message lists the known ones).
        ModelError: a model that does not take the target, or combiners without a member.
    """
    from forecasting.errors import ModelError
    from models.base import series_kind
    from models.registry import model_class

    kind = series_kind(target)
    fits = lambda a: model_class(a).takes(kind) if kind else True  # noqa: E731
    if models:
        aliases = list(dict.fromkeys(models))
        split_models(aliases)  # unknown aliases first, with the known ones listed
        wrong = [a for a in aliases if not fits(a)]
        if wrong:
            raise ModelError(
                f"{', '.join(wrong)} cannot forecast {target} (a {kind} series); "
                f"models for it: {', '.join(a for a in MODEL_PATHS if fits(a))}"
            )
    else:
        aliases = [a for a in service.settings.models.default if fits(a)]
    fitted, combiners = split_models(aliases)
    if combiners and not fitted:
        raise ModelError(
            f"{', '.join(combiners)} combine other models: give at least one fitted model too"
        )
    return aliases


def models_for(target: str, models: Sequence[str] | None) -> list[str] | None:
    """The models of a multi-target ``--models`` list that ``target`` takes (combiners
    included); None passes through (the configured set).

    Raises:
        ModelError: none of ``models`` forecasts ``target``.
    """
    if not models:
        return None
    from forecasting.errors import ModelError
    from models.base import series_kind
    from models.registry import model_class

    kind = series_kind(target)
    split_models(list(models))  # unknown aliases first
    kept = [m for m in models if kind is None or model_class(m).takes(kind)]
    fitted, _ = split_models(kept)
    if not fitted:
        raise ModelError(f"none of {', '.join(models)} forecasts {target}")
    return kept


def data_as_of(observations: pd.DataFrame) -> date | None:
    """The latest release date in ``observations`` (what "the data" is as of)."""
    return None if observations.empty else max(observations["released"])
