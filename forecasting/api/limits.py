"""Request bodies are size-limited: :class:`BodyLimit`, an ASGI middleware.

A request whose ``Content-Length`` exceeds the limit is answered 413 before its body is
read; a body sent without a length (chunked) is read up to the limit and refused with 413 as
soon as it goes past it, else handed to the app as it came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from forecasting.api.errors import error_response

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodyLimit"]

#: 1 MiB: some thousands of observation rows or polls per request
DEFAULT_MAX_BODY_BYTES = 1 << 20

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyLimit:
    def __init__(self, app: Callable[..., Awaitable[None]], max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> Any:
        return error_response(
            413,
            "PayloadTooLarge",
            f"the request body is larger than {self.max_bytes} bytes; send fewer rows per request",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        if length is not None:
            await self.app(scope, receive, send)
            return
        # no length given: read it all (up to the limit) before the app sees any of it
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
