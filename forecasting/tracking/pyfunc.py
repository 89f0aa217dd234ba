"""The MLflow pyfunc wrapper around a :class:`~forecasting.published.PublishedModel`."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd

__all__ = ["PublishedPyfunc", "signature"]


class PublishedPyfunc(mlflow.pyfunc.PythonModel):
    """``predict(frame)``: one forecast per row of ``frame``, which has a ``period`` column
    (``YYYY-MM``, the target period) and an optional ``as_of`` column (``YYYY-MM-DD``; default
    and latest: the date the model was published with). Returns the forecast frame
    ``target, period, model, as_of, yhat, yhat_lo_80, yhat_hi_80, yhat_lo_95, yhat_hi_95``: for
    the published period, the figures ``forecasting forecast`` printed."""

    def __init__(self, published: Any) -> None:
        self.published = published

    # the input is a request frame validated by the signature; no type-hint validation
    _skip_type_hint_validation = True

    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201
        if isinstance(model_input, pd.DataFrame):
            frame = model_input
        elif isinstance(model_input, dict):
            frame = pd.DataFrame(model_input)
        else:
            frame = pd.DataFrame({"period": list(pd.Series(model_input).astype(str))})
        return self.published.predict(frame)


def signature() -> Any:
    """Input ``period`` (string) and optional ``as_of`` (string); output the forecast frame."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    from forecasting.published import PUBLISHED_COLUMNS

    inputs = Schema([ColSpec("string", "period"), ColSpec("string", "as_of", required=False)])
    outputs = Schema(
        [
            ColSpec("string" if c in ("target", "period", "model", "as_of") else "double", c)
            for c in PUBLISHED_COLUMNS
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)
