"""Writes behind a bearer token: :class:`WriteGuard`, an ASGI middleware in front of the app.

Every request that may change the store (any method but GET, HEAD and OPTIONS) under
``/api/`` must carry ``Authorization: Bearer <token>``, the token the server was started with
(``FORECASTING_API_TOKEN``). It is checked before the body is read:

- no token configured: 403, writes are disabled (never open);
- no or a malformed ``Authorization`` header: 401 with ``WWW-Authenticate: Bearer``;
- a wrong token: 401 (compared in constant time with :func:`hmac.compare_digest`).

The token is never logged nor echoed in a response. Reads need no token.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.security import HTTPBearer

from forecasting.api.errors import error_response

__all__ = ["TOKEN_ENV", "WriteGuard", "bearer_scheme", "token_from_env"]

TOKEN_ENV = "FORECASTING_API_TOKEN"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: shown in /docs (the "Authorize" button); the check itself is :class:`WriteGuard`
bearer_scheme = HTTPBearer(auto_error=False, description=f"the token in {TOKEN_ENV}")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def token_from_env() -> str | None:
    """The write token from ``FORECASTING_API_TOKEN`` (None when unset or blank)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value
    return None


def check_token(expected: str | None, authorization: bytes | None) -> tuple[int, str, str] | None:
    """None when a write may go on, else ``(status, error type, message)``. Pure."""
    if expected is None:
        return (
            403,
            "WritesDisabled",
            f"writes are disabled: the server was started without {TOKEN_ENV}",
        )
    scheme, _, given = (authorization or b"").partition(b" ")
    given = given.strip()
    if scheme.lower() != b"bearer" or not given:
        return 401, "Unauthorized", "this request needs 'Authorization: Bearer <token>'"
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        return 401, "Unauthorized", "wrong token"
    return None


class WriteGuard:
    """Refuses a write under ``/api/`` without the right token (see the module docstring)."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and scope["path"].startswith("/api/")
        ):
            refused = check_token(self.token, _header(scope, b"authorization"))
            if refused is not None:
                status, kind, message = refused
                challenge = 'Bearer realm="forecasting"'
                headers = {"WWW-Authenticate": challenge} if status == 401 else {}
                response = error_response(status, kind, message, headers=headers)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
