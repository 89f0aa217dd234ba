"""Inputs prepared once per forecast origin and shared by the models that need them.

At one origin every nowcasting model is given the same history and the same indicator frame,
and several of them choose and gap-fill the same indicator columns from it
(:func:`models.nowcast.nowcast_inputs`). Inside :func:`shared_inputs` such a
preparation is computed once and handed to each model that asks for it again; outside it
nothing is kept (no state lives from one origin to the next). The key is the content of the
inputs (values, periods, columns and settings), not the objects: a model's base class copies
its ``exog``, and two copies with the same content share one preparation. A model receives
its own copy of the shared frame, so no model can change another's inputs.

:func:`history_gaps_imputed` is the gap filling itself, one least-squares fit per column and
set of available columns rather than one per gap (the same fits, so the same figures).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from typing import TypeVar

import numpy as np
import pandas as pd

__all__ = ["content_key", "history_gaps_imputed", "shared", "shared_inputs"]

_T = TypeVar("_T")
_SCOPE: ContextVar[dict[Hashable, object] | None] = ContextVar("shared_inputs", default=None)


@contextlib.contextmanager
def shared_inputs() -> Iterator[None]:
    """A scope (one forecast origin) within which :func:`shared` computes each preparation
    once; the preparations are dropped when it ends. Scopes nest: an inner one is its own."""
    token = _SCOPE.set({})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def shared(key: Hashable, compute: Callable[[], _T], copy: Callable[[_T], _T]) -> _T:
    """``compute()``, or within a :func:`shared_inputs` scope the result computed for ``key``
    before; each caller gets ``copy(result)``, so the shared one stays as computed."""
    scope = _SCOPE.get()
    if scope is None:
        return compute()
    if key not in scope:
        scope[key] = compute()
    return copy(scope[key])  # type: ignore[arg-type]


def content_key(obj: pd.Series | pd.DataFrame | None) -> Hashable:
    """A hashable key equal for two series or frames of equal values, index, columns, name
    and dtypes (None for None)."""
    if obj is None:
        return None
    values = obj.to_numpy()
    index = obj.index
    first = str(index[0]) if len(index) else ""
    columns = tuple(obj.columns) if isinstance(obj, pd.DataFrame) else obj.name
    dtypes = tuple(map(str, obj.dtypes)) if isinstance(obj, pd.DataFrame) else str(obj.dtype)
    if values.dtype == object:
        payload: Hashable = tuple(map(repr, values.ravel()))
    else:
        payload = np.ascontiguousarray(values).tobytes()
    return (
        type(obj).__name__,
        str(index.dtype),
        first,
        len(index),
        _index_key(index),
        columns,
        dtypes,
        values.shape,
        payload,
    )


def _index_key(index: pd.Index) -> Hashable:
    if isinstance(index, pd.PeriodIndex):
        return index.asi8.tobytes()
    return tuple(map(str, index))


def history_gaps_imputed(frame: pd.DataFrame, last: pd.Period) -> pd.DataFrame:
    """Fill an indicator's gaps *within the history* from the other used indicators.

    Sparse series (e.g. Korea's 20-day exports, 38 missing months) would otherwise cost every
    month in which any one of them is missing. A gap at period ``t <= last`` is filled by an
    OLS fit (with intercept) of that column on the other columns present at ``t``, over the
    history months where all of them are observed (at least ``max(12, 3·(k + 1))`` months for
    ``k`` regressors); a gap no other column can explain stays NaN. Rows after ``last`` (the
    months to forecast) are never filled: there a missing indicator means "not released". The
    fits use the original values only (a filled gap never feeds another fit), so gaps sharing
    a column and a set of available columns share one fit.

    Returns:
        a copy of ``frame`` (same index and columns, floats) with those gaps filled.
    """
    values = frame.to_numpy(dtype=float)
    out = values.copy()
    n_hist = int(np.searchsorted(frame.index.asi8, pd.Period(last, freq="M").ordinal, "right"))
    hist = values[:n_hist]
    present = ~np.isnan(hist)
    k = hist.shape[1]
    for j in range(k):
        others = [i for i in range(k) if i != j]
        fits: dict[tuple[int, ...], np.ndarray | None] = {}
        for t in np.flatnonzero(~present[:, j]):
            avail = tuple(i for i in others if present[t, i])
            if not avail:
                continue
            if avail not in fits:
                fits[avail] = _gap_fit(hist, present, j, avail)
            coef = fits[avail]
            if coef is not None:
                point = np.concatenate([[1.0], hist[t, list(avail)]])
                out[t, j] = float(point @ coef)
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _gap_fit(
    hist: np.ndarray, present: np.ndarray, j: int, avail: tuple[int, ...]
) -> np.ndarray | None:
    """OLS coefficients (intercept first) of column ``j`` on the columns ``avail`` over the
    rows where all are present; None with too few rows."""
    cols = [j, *avail]
    rows = hist[present[:, cols].all(axis=1)][:, cols]
    if len(rows) < max(12, 3 * (len(avail) + 1)):
        return None
    design = np.column_stack([np.ones(len(rows)), rows[:, 1:]])
    coef, *_ = np.linalg.lstsq(design, rows[:, 0], rcond=None)
    return coef
