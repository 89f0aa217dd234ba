"""The reverse proxy against a real upstream HTTP server on loopback (stdlib, in threads)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from forecasting.errors import ConfigError, PortInUseError
from forecasting.reverse_proxy import ReverseProxy

PAGE = b"<!doctype html><html><head><title>t</title><script src=app.js></script></head></html>"
MARK = b"<!--rewritten-->"


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]]  # set per server
    release: threading.Event

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _record(self, body: bytes = b"") -> None:
        self.server.seen.append(  # type: ignore[attr-defined]
            {
                "method": self.command,
                "path": self.path,
                "headers": self.headers.items(),
                "body": body,
            }
        )

    def _send(self, status: int, body: bytes, content_type: str, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._record()
        if self.path.startswith(("/page", "/other")):
            self._send(
                200, PAGE, "text/html; charset=utf-8", ETag='"v1"', Cache_Control="max-age=60"
            )
        elif self.path == "/headers":
            body = json.dumps(self.headers.items()).encode()
            self._send(200, body, "application/json")
        elif self.path == "/empty":
            self.send_response(204)
            self.end_headers()
        elif self.path in ("/events", "/hang"):  # chunked, the second event when released
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(b"data: 1\n\n")
            self.server.release.wait(30)  # type: ignore[attr-defined]
            if self.path == "/events":
                self._chunk(b"data: 2\n\n")
                self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(404, b"no such page", "text/plain")

    def _echo(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            body = b""
            while size := int(self.rfile.readline().strip(), 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._record(body)
        self.send_response(201)
        self.send_header("Set-Cookie", "a=1")
        self.send_header("Set-Cookie", "b=2")
        self.send_header("X-Method", self.command)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_PATCH = do_DELETE = _echo


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    server.seen = []  # type: ignore[attr-defined]
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(upstream: ThreadingHTTPServer) -> Iterator[ReverseProxy]:
    address = upstream.server_address
    pages = {"/page": lambda page: page.replace(b"<head>", b"<head>" + MARK)}
    running = ReverseProxy("127.0.0.1", 0, (str(address[0]), int(address[1])), pages).start()
    yield running
    running.stop()


def _connect(proxy: ReverseProxy) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)


def test_requests_and_answers_of_every_method_pass_through(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    conn = _connect(proxy)  # one keep-alive connection for all of them
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        body = f"{method} body".encode()
        conn.request(method, "/echo?x=1", body=body, headers={"X-Custom": "kept"})
        response = conn.getresponse()
        assert (response.status, response.read()) == (201, body)
        assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
        assert response.headers["X-Method"] == method
        seen = upstream.seen[-1]  # type: ignore[attr-defined]
        assert (seen["method"], seen["path"], seen["body"]) == (method, "/echo?x=1", body)
        headers = dict(seen["headers"])
        assert headers["X-Custom"] == "kept"
        assert headers["Host"] == f"127.0.0.1:{proxy.port}"  # the browser's host, not upstream's
    conn.close()


def test_large_and_chunked_bodies_arrive_whole(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 7)
    conn = _connect(proxy)
    conn.request("POST", "/echo", body=payload)
    assert conn.getresponse().read() == payload
    pieces = [b"first,", b"", b"second," * 1000, b"last"]
    conn.request("POST", "/echo", body=iter(pieces), encode_chunked=True)
    assert conn.getresponse().read() == b"".join(pieces)
    assert upstream.seen[-1]["body"] == b"".join(pieces)  # type: ignore[attr-defined]
    conn.close()


def test_hop_by_hop_headers_stay_with_the_proxy(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    conn = _connect(proxy)
    conn.request(
        "GET", "/headers", headers={"Connection": "keep-alive, X-Private", "X-Private": "1"}
    )
    names = {name.lower() for name, _ in json.loads(conn.getresponse().read())}
    assert "x-private" not in names and "connection" not in names
    conn.close()


def test_an_event_stream_is_relayed_as_it_is_produced(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    conn = _connect(proxy)
    conn.request("GET", "/events")
    response = conn.getresponse()
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.read1(100) == b"data: 1\n\n"  # before the upstream sends the second event
    upstream.release.set()  # type: ignore[attr-defined]
    assert response.read() == b"data: 2\n\n"
    conn.close()


def test_only_a_chosen_page_is_rewritten_and_never_served_from_a_cache(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    conn = _connect(proxy)
    browser_headers = {"Accept-Encoding": "gzip, br", "If-None-Match": '"v1"', "Range": "bytes=0-9"}
    conn.request("GET", "/page?tab=1", headers=browser_headers)
    response = conn.getresponse()
    page = response.read()
    assert response.status == 200
    assert page == PAGE.replace(b"<head>", b"<head>" + MARK)
    assert int(response.headers["Content-Length"]) == len(page)
    assert response.headers["Cache-Control"] == "no-cache" and "ETag" not in response.headers
    asked = {name.lower() for name, _ in upstream.seen[-1]["headers"]}  # type: ignore[attr-defined]
    assert not asked & {"accept-encoding", "if-none-match", "range"}

    conn.request("HEAD", "/page")
    head = conn.getresponse()
    assert head.read() == b"" and int(head.headers["Content-Length"]) == len(page)

    conn.request("GET", "/other", headers=browser_headers)  # another path: untouched
    other = conn.getresponse()
    assert other.read() == PAGE and other.headers["ETag"] == '"v1"'
    conn.request("POST", "/page", body=b"<head>")  # another method: untouched
    assert conn.getresponse().read() == b"<head>"
    conn.request("GET", "/empty")
    empty = conn.getresponse()
    assert (empty.status, empty.read()) == (204, b"")
    conn.close()


def test_an_upstream_that_does_not_answer_is_a_bad_gateway() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]  # closed again: nothing listens there
    proxy = ReverseProxy("127.0.0.1", 0, ("127.0.0.1", dead_port)).start()
    try:
        conn = _connect(proxy)
        conn.request("GET", "/health")
        response = conn.getresponse()
        assert response.status == 502
        assert f"127.0.0.1:{dead_port}" in response.read().decode()
    finally:
        assert proxy.stop()


def _raw_exchange(port: int, request: bytes) -> bytes:
    """What the proxy answers ``request`` until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        received = b""
        while piece := conn.recv(65536):
            received += piece
    return received


def test_an_http_1_0_client_gets_a_host_and_a_body_that_ends_with_the_connection(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    answer = _raw_exchange(proxy.port, b"GET /headers HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    host, port = upstream.server_address[:2]
    assert ["Host", f"{host}:{port}"] in json.loads(body)  # it sent none: the upstream's
    upstream.release.set()  # type: ignore[attr-defined]
    answer = _raw_exchange(proxy.port, b"GET /events HTTP/1.0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and b"chunked" not in head.lower()
    assert body == b"data: 1\n\ndata: 2\n\n"


def test_a_request_http_client_cannot_forward_is_a_bad_request(proxy: ReverseProxy) -> None:
    answer = _raw_exchange(proxy.port, b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"Connection: close" in answer


def test_stop_ends_every_thread_and_connection_and_frees_the_port(
    proxy: ReverseProxy, upstream: ThreadingHTTPServer
) -> None:
    idle = _connect(proxy)
    idle.request("GET", "/headers")
    idle.getresponse().read()  # the connection stays open (keep-alive), its thread waiting
    streaming = _connect(proxy)
    streaming.request("GET", "/hang")  # an endless answer in flight
    stream = streaming.getresponse()
    assert stream.read1(100) == b"data: 1\n\n"
    assert len(proxy.threads()) == 3  # accept loop, idle client, streaming client

    started = time.monotonic()
    assert proxy.stop(timeout=5)
    assert time.monotonic() - started < 2
    assert proxy.threads() == []
    assert not [
        t for t in threading.enumerate() if t.name.startswith(f"reverse-proxy-{proxy.port}")
    ]
    with pytest.raises((http.client.HTTPException, OSError)):
        stream.read()  # cut: the proxy closed it
    with socket.socket() as s:  # the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", proxy.port))
        s.listen()
    assert proxy.stop()  # a second stop is harmless
    idle.close()
    streaming.close()


def test_a_port_in_use_or_an_unusable_host_is_refused() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=f"port {port} .*--port"):
            ReverseProxy("127.0.0.1", port, ("127.0.0.1", 1))
    with pytest.raises(ConfigError, match="203.0.113.7"):
        ReverseProxy("203.0.113.7", 0, ("127.0.0.1", 1))  # TEST-NET-3: not this machine
