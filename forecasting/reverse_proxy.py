"""A small reverse proxy in front of a server on this machine, rewriting chosen HTML pages.

:class:`ReverseProxy` listens on the user-facing address and forwards every request (any
method, headers and body as sent, ``Host`` included) to the upstream server over a new
loopback connection, and relays the answer as it arrives (status, headers, body streamed:
server-sent events flow through). Only hop-by-hop headers (``Connection``, ``Keep-Alive``,
``Transfer-Encoding``, ...) are the proxy's own. The one exception: a ``GET`` or ``HEAD`` of a
path in ``rewrite_pages`` answered ``200`` with an HTML page, whose body goes through that
path's rewrite function (asked uncompressed, unconditional and whole, and sent back with a new
length and ``Cache-Control: no-cache``, so no cached copy of the original page is used).

It runs in threads of the calling process: :meth:`ReverseProxy.stop` closes the listening
socket, shuts every open client and upstream connection and joins every thread it started.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from forecasting.errors import ConfigError, PortInUseError

__all__ = ["HOP_BY_HOP_HEADERS", "PageRewrite", "ReverseProxy"]

PageRewrite = Callable[[bytes], bytes]
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",  # answered by the proxy itself (100 Continue)
    }
)
_NOT_FOR_REWRITTEN = frozenset(
    {"accept-encoding", "if-none-match", "if-modified-since", "if-range", "range"}
)
_CHUNK = 64 * 1024
_THREAD_PREFIX = "reverse-proxy"


def _dropped_headers(connection_header: str | None) -> set[str]:
    """Hop-by-hop headers, with those the ``Connection`` header names."""
    named = {h.strip().lower() for h in (connection_header or "").split(",") if h.strip()}
    return HOP_BY_HOP_HEADERS | named


class _Server(ThreadingHTTPServer):
    """Tracks its handler threads and open sockets so that :meth:`close_all` ends them."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[Any, ...],
        family: socket.AddressFamily,
        upstream: tuple[str, int],
        rewrite_pages: Mapping[str, PageRewrite],
    ) -> None:
        self.address_family = family
        self.upstream = upstream
        self.rewrite_pages = dict(rewrite_pages)
        self.lock = threading.Lock()
        self.threads: set[threading.Thread] = set()
        self.sockets: set[socket.socket] = set()
        self.closing = False
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._handle,
            args=(request, client_address),
            name=f"{_THREAD_PREFIX}-{self.server_address[1]}-client",
            daemon=True,
        )
        with self.lock:
            if self.closing:
                self.shutdown_request(request)
                return
            self.threads.add(thread)
            self.sockets.add(request)
        thread.start()

    def _handle(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.sockets.discard(request)
                self.threads.discard(threading.current_thread())

    def track(self, sock: socket.socket | None, *, open_: bool) -> None:
        if sock is None:
            return
        with self.lock:
            if open_ and self.closing:
                sock.close()  # too late: the proxy is stopping
                raise ConnectionAbortedError("the proxy is stopping")
            (self.sockets.add if open_ else self.sockets.discard)(sock)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client or upstream that went away mid-exchange is no error of the proxy's.
        if isinstance(sys.exc_info()[1], OSError | http.client.HTTPException):
            return
        super().handle_error(request, client_address)

    def close_all(self, timeout: float) -> bool:
        """Shut every open socket and join the handler threads; True when none is left."""
        with self.lock:
            self.closing = True
            sockets, threads = list(self.sockets), list(self.threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        return not any(t.is_alive() for t in threads)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive client is let go after two minutes
    server: _Server

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):  # every method is forwarded
            return self._forward
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: the upstream server keeps its own log."""

    def _forward(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        rewrite = self.server.rewrite_pages.get(path) if self.command in ("GET", "HEAD") else None
        dropped = _dropped_headers(self.headers.get("Connection"))
        if rewrite is not None:
            dropped |= _NOT_FOR_REWRITTEN
        upstream = http.client.HTTPConnection(*self.server.upstream)
        sock: socket.socket | None = None  # upstream.sock is None once the answer says close
        try:
            try:
                upstream.connect()
                sock = upstream.sock
                self.server.track(sock, open_=True)
                response = self._send_upstream(upstream, "GET" if rewrite else None, dropped)
            except (ValueError, http.client.InvalidURL) as exc:  # http.client refuses to send it
                self._reply_error(400, f"bad request: {exc}")
                return
            except (OSError, http.client.HTTPException) as exc:
                host, port = self.server.upstream
                self._reply_error(502, f"upstream server {host}:{port} did not answer: {exc}")
                return
            if rewrite is not None and self._is_plain_html(response):
                self._send_rewritten(response, rewrite)
            else:
                self._relay(response)
        finally:
            self.server.track(sock, open_=False)
            upstream.close()

    def _send_upstream(
        self, upstream: http.client.HTTPConnection, method: str | None, dropped: set[str]
    ) -> http.client.HTTPResponse:
        upstream.putrequest(
            method or self.command, self.path, skip_host=True, skip_accept_encoding=True
        )
        if "Host" not in self.headers:  # an HTTP/1.0 client may send none
            host, port = self.server.upstream
            upstream.putheader("Host", f"{host}:{port}")
        for name, value in self.headers.items():
            if name.lower() not in dropped:
                upstream.putheader(name, value)
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        if chunked:
            upstream.putheader("Transfer-Encoding", "chunked")
        upstream.endheaders()
        if chunked:
            for piece in self._chunked_body():
                upstream.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            upstream.send(b"0\r\n\r\n")
        elif length is not None and length.strip().isdigit():
            for piece in self._sized_body(int(length)):
                upstream.send(piece)
        return upstream.getresponse()

    def _sized_body(self, length: int) -> Iterator[bytes]:
        while length > 0:
            piece = self.rfile.read(min(length, _CHUNK))
            if not piece:
                raise ConnectionError("the client closed the connection mid-body")
            length -= len(piece)
            yield piece

    def _chunked_body(self) -> Iterator[bytes]:
        while True:
            size_line = self.rfile.readline(1024)
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return
            yield from self._sized_body(size)
            self.rfile.readline(16)  # the CRLF after the chunk

    def _reply_error(self, status: int, message: str) -> None:
        """A plain-text error answer; the connection is closed after it (its request may be
        half-read)."""
        body = f"{message}\n".encode()
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        self.close_connection = True

    def _send_status_and_headers(
        self, response: http.client.HTTPResponse, skip: set[str] | frozenset[str]
    ) -> None:
        self.send_response_only(response.status, response.reason)
        dropped = _dropped_headers(response.headers.get("Connection")) | skip
        for name, value in response.headers.items():
            if name.lower() not in dropped:
                self.send_header(name, value)

    @staticmethod
    def _is_plain_html(response: http.client.HTTPResponse) -> bool:
        content_type = response.headers.get("Content-Type", "").lower()
        return (
            response.status == 200
            and content_type.startswith("text/html")
            and not response.headers.get("Content-Encoding")
        )

    def _send_rewritten(self, response: http.client.HTTPResponse, rewrite: PageRewrite) -> None:
        page = rewrite(response.read())
        self._send_status_and_headers(
            response,
            {"content-length", "etag", "last-modified", "cache-control", "expires"},
        )
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(page)

    def _relay(self, response: http.client.HTTPResponse) -> None:
        length = response.headers.get("Content-Length")
        bodiless = self.command == "HEAD" or response.status in (204, 304) or response.status < 200
        if bodiless or length is not None:
            self._send_status_and_headers(response, set())
            self.end_headers()
            if not bodiless:
                self._stream(response, chunked=False)
            return
        chunked = self.request_version == "HTTP/1.1"
        self._send_status_and_headers(response, set())
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:  # an HTTP/1.0 client reads to the end of the connection
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self._stream(response, chunked=chunked)

    def _stream(self, response: http.client.HTTPResponse, *, chunked: bool) -> None:
        try:
            while piece := response.read1(_CHUNK):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (OSError, http.client.HTTPException):
            self.close_connection = True  # the body is cut: the client must not wait for more


class ReverseProxy:
    """Forwards ``host:port`` to ``upstream`` (``(host, port)``), rewriting the pages of
    ``rewrite_pages`` (path -> rewrite function). Binds on construction; serves after
    :meth:`start`; :meth:`stop` ends everything it started.

    Raises:
        PortInUseError: something already listens on ``host:port``.
        ConfigError: ``host`` does not resolve or cannot be listened on.
    """

    def __init__(
        self,
        host: str,
        port: int,
        upstream: tuple[str, int],
        rewrite_pages: Mapping[str, PageRewrite] | None = None,
    ) -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except socket.gaierror as exc:
            raise ConfigError(f"host {host!r}: cannot resolve it ({exc})") from exc
        family, _, _, _, address = infos[0]
        try:
            self._server = _Server(address, family, upstream, rewrite_pages or {})
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f"port {port} on {host} is already in use; "
                    "stop what holds it or choose another port (--port)"
                ) from exc
            raise ConfigError(f"{host}:{port}: cannot listen there ({exc})") from exc
        self.host, self.port = host, self._server.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self) -> ReverseProxy:
        """Serve in a thread of this process; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"{_THREAD_PREFIX}-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def threads(self) -> list[threading.Thread]:
        """The live threads of this proxy (the accept loop and one per open client)."""
        with self._server.lock:
            handlers = list(self._server.threads)
        return [t for t in [self._thread, *handlers] if t is not None and t.is_alive()]

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop accepting, close the listening socket, shut every open connection and join
        every thread; True when none is left after ``timeout`` seconds. Idempotent."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
        self._server.server_close()
        return self._server.close_all(timeout) and not self.threads()
