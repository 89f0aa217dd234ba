"""The lazy alias registry."""

from __future__ import annotations

import pytest

from models.base import Forecaster, ModelError
from models.registry import (
    MODEL_PATHS,
    UnknownModelError,
    create_model,
    model_class,
)


def test_unknown_alias_lists_known_models() -> None:
    with pytest.raises(UnknownModelError) as info:
        model_class("no_such_model")
    message = str(info.value)
    assert "no_such_model" in message
    for alias in MODEL_PATHS:
        assert alias in message
    assert isinstance(info.value, ModelError)
    assert isinstance(info.value, KeyError)


def test_create_model_unknown_alias() -> None:
    with pytest.raises(UnknownModelError, match="known models: naive"):
        create_model("nope")


@pytest.mark.parametrize("alias", list(MODEL_PATHS))
def test_every_alias_resolves_to_its_own_class(alias: str) -> None:
    cls = model_class(alias)
    assert issubclass(cls, Forecaster)
    assert cls.alias == alias  # the alias names the class's output, as the registry says
    assert isinstance(create_model(alias), cls)
