"""Errors as HTTP responses: the :class:`~forecasting.errors.ForecastingError` tree mapped to
statuses, one JSON body shape for every error, never a traceback.

Every error body is::

    {"error": {"status": 422, "type": "InvalidRowsError", "message": "...",
               "problems": [{"row": 2, "field": "consensus", "value": "abc",
                             "message": "not a number (expected e.g. -1.5 or 27)"}]}}

``problems`` lists each refused row and field of a write (``row``: the item's number in the
request's list, from 1, the ``line`` of the message); it is empty for other errors.

=============================  =====================================================
error                          status
=============================  =====================================================
DataError on a read            404 (no such target, series, period, or no data for it)
DataError on a write           422 (the rows are refused; nothing was written)
UnknownModelError              422
ModelError                     500 (a model failed)
ConfigError, ScheduleError     500 (the server's configuration)
TrackingError                  503 (MLflow unreachable)
StoreError                     503 with ``Retry-After`` (the store is busy or unreachable)
anything else                  500, "internal error" (the traceback goes to the log only)
=============================  =====================================================
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecasting.errors import (
    ConfigError,
    DataError,
    ForecastingError,
    InvalidRowsError,
    ModelError,
    ScheduleError,
    StoreError,
    TrackingError,
    UnknownModelError,
)
from forecasting.masking import mask_secrets

__all__ = ["ApiError", "error_response", "install_error_handlers", "status_of"]

log = logging.getLogger("forecasting.api")
READ_METHODS = frozenset({"GET", "HEAD"})
RETRY_AFTER_SECONDS = 2


class ApiError(Exception):
    """An error the API itself raises (bad parameter, missing token, body too large)."""

    def __init__(
        self,
        status: int,
        kind: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message
        self.headers = dict(headers or {})


def status_of(exc: ForecastingError, method: str) -> int:
    """The HTTP status of a service error met while answering a ``method`` request."""
    if isinstance(exc, UnknownModelError):
        return 422
    if isinstance(exc, DataError):
        return 404 if method in READ_METHODS else 422
    if isinstance(exc, TrackingError | StoreError):
        return 503
    if isinstance(exc, ModelError | ConfigError | ScheduleError):
        return 500
    return 500


def error_response(
    status: int,
    kind: str,
    message: str,
    problems: Iterable[Mapping[str, object]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The one error body shape (see the module docstring)."""
    body = {
        "error": {
            "status": status,
            "type": kind,
            "message": mask_secrets(message),
            "problems": list(problems),
        }
    }
    return Response(
        json.dumps(body).encode(),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _row_problems(exc: InvalidRowsError) -> list[dict[str, object]]:
    return [
        {"row": line, "field": column, "value": value, "message": message}
        for line, column, value, message in exc.problems
    ]


def _validation_problems(errors: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    """pydantic's errors as problems, one per row and field: ``("body", "polls", 1,
    "consensus", "str")`` is row 2, field ``consensus`` (a cell that fits none of a union's
    types gives one problem, its messages joined)."""
    out: dict[tuple, dict[str, object]] = {}
    for err in errors:
        loc = [x for x in err.get("loc", ()) if x != "body"]  # type: ignore[union-attr]
        at = next((i for i, x in enumerate(loc) if isinstance(x, int)), None)
        names = [str(x) for x in (loc if at is None else loc[at + 1 :]) if not isinstance(x, int)]
        row = None if at is None else loc[at] + 1  # type: ignore[operator]
        field = names[0] if names else None
        value = err.get("input")
        message = str(err.get("msg", "invalid"))
        seen = out.get((row, field))
        if seen is not None:
            if message not in str(seen["message"]):
                seen["message"] = f"{seen['message']} or {message[0].lower()}{message[1:]}"
            continue
        out[(row, field)] = {
            "row": row,
            "field": field,
            "value": value if isinstance(value, str | int | float | bool) else None,
            "message": message,
        }
    return list(out.values())


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception a route can raise to :func:`error_response`."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.kind, exc.message, headers=exc.headers)

    @app.exception_handler(ForecastingError)
    async def _service(request: Request, exc: ForecastingError) -> Response:
        status = status_of(exc, request.method)
        problems = _row_problems(exc) if isinstance(exc, InvalidRowsError) else []
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
        if status >= 500:
            log.warning(
                "%s %s: %s: %s",
                request.method,
                request.url.path,
                type(exc).__name__,
                mask_secrets(str(exc)),
            )
        return error_response(status, type(exc).__name__, str(exc), problems, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = _validation_problems(exc.errors())
        text = "; ".join(
            f"{'row ' + str(p['row']) + ', ' if p['row'] else ''}"
            f"{p['field'] or 'body'}: {p['message']}"
            for p in problems[:20]
        )
        return error_response(422, "RequestValidationError", f"invalid request: {text}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, kind, message, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("%s %s: internal error", request.method, request.url.path)
        return error_response(
            500, "InternalError", "internal error (a bug; the server log has the details)"
        )
