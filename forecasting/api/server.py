"""Running the app: :func:`listen` binds the port first (so that a taken port is one clean
:class:`~forecasting.errors.PortInUseError`, also when another process takes it between a
check and the bind), :func:`serve` runs uvicorn on that socket until Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import signal
import socket

from forecasting.errors import ConfigError, PortInUseError
from forecasting.process_session import port_in_use

__all__ = ["listen", "serve"]


def _taken(host: str, port: int) -> PortInUseError:
    return PortInUseError(
        f"serve: port {port} on {host} is already in use; "
        "stop what holds it or choose another port (--port)"
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` the way uvicorn binds (``SO_REUSEADDR``), not yet
    listening (uvicorn's server does that).

    Raises:
        PortInUseError: something listens there already.
        ConfigError: ``host`` does not resolve or is not an address of this machine, or the
            port is out of range or privileged.
    """
    if port_in_use(host, port):  # also checks the host and the port's range
        raise _taken(host, port)
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise _taken(host, port) from exc
        raise ConfigError(f"{host}:{port}: cannot listen there ({exc})") from exc
    sock.set_inheritable(True)
    return sock


def serve(app, sock: socket.socket, *, log_level: str = "info") -> None:  # noqa: ANN001 - ASGI app
    """Serve ``app`` on ``sock`` (from :func:`listen`) until stopped; closes the socket."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    # uvicorn re-raises a Ctrl-C it shut down for, but inside asyncio's runner, which may
    # swallow it (seen under load: exit 0): a Ctrl-C is always exit 130, as for every command
    if signal.SIGINT in getattr(server, "_captured_signals", ()):
        raise KeyboardInterrupt
