"""How the models fit: the AIC choice among candidate fits (:func:`lowest_aic`) and BLAS
limited to one thread around a fit (:func:`single_threaded_blas`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

__all__ = ["lowest_aic", "single_threaded_blas"]

_Candidate = TypeVar("_Candidate")
_Result = TypeVar("_Result")


def lowest_aic(
    candidates: Iterable[_Candidate],
    fit: Callable[[_Candidate], tuple[float, _Result]],
    on_error: Callable[[_Candidate, Exception], None] | None = None,
) -> tuple[_Candidate, _Result] | None:
    """Fit each candidate in turn and keep the one with the lowest finite AIC.

    ``fit(candidate)`` returns ``(aic, result)``; a candidate whose fit raises ``ValueError``
    or ``LinAlgError`` is skipped (and passed to ``on_error``). The first candidate wins a tie.

    Returns:
        ``(candidate, result)`` of the best fit, or None if no candidate gave a finite AIC.
    """
    best: tuple[float, _Candidate, _Result] | None = None
    for candidate in candidates:
        try:
            aic, result = fit(candidate)
        except (ValueError, np.linalg.LinAlgError) as exc:
            if on_error is not None:
                on_error(candidate, exc)
            continue
        if np.isfinite(aic) and (best is None or aic < best[0]):
            best = (aic, candidate, result)
    return None if best is None else (best[1], best[2])


_BLAS_LOCK = threading.Lock()
_BLAS_CONTROLLER: Any = None


def single_threaded_blas() -> contextlib.AbstractContextManager[Any]:
    """Context limiting BLAS (OpenBLAS/MKL) to one thread, if ``threadpoolctl`` is available.

    The models' linear algebra is on tiny matrices, where a multi-threaded BLAS mostly
    spin-waits: on a 2-core machine it made ``ets`` ~15x and ``arima`` ~7x slower. Entering
    the limit costs ~50 µs (the library scan, ~10 ms, happens once per process).
    """
    global _BLAS_CONTROLLER
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    with _BLAS_LOCK:
        if _BLAS_CONTROLLER is None:
            _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
