"""``forecasting serve``: the HTTP API and the release dashboard (uvicorn), on localhost by
default; writes need the bearer token in ``FORECASTING_API_TOKEN``."""

from __future__ import annotations

from typing import Annotated

import typer

from forecasting.cli._common import open_store, say, warn

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.", min=1, max=65535)] = 8000,
    mlflow_ui_url: Annotated[
        str | None,
        typer.Option(
            help="The MLflow UI the dashboard links runs to "
            "(default: FORECASTING_MLFLOW_UI_URL, else http://127.0.0.1:5000)."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the HTTP API (/api, OpenAPI at /docs) and the release dashboard (/).

    Reads are open; writes (consensus polls, observations) need `Authorization: Bearer
    <token>` with the token in FORECASTING_API_TOKEN, and are refused when it is not set.
    Run it beside the scheduler: it only reads and writes the store. Ctrl-C stops it.
    """
    from forecasting.api import TOKEN_ENV, create_app
    from forecasting.api.server import listen, serve

    sock = listen(host, port)  # a taken port is refused before anything else is opened
    try:
        app = create_app(service=open_store(), mlflow_ui_url=mlflow_ui_url)
    except BaseException:
        sock.close()
        raise
    api = app.state.api
    shown = f"[{host}]" if ":" in host else host
    say(f"dashboard http://{shown}:{port}/  API http://{shown}:{port}/api  docs /docs")
    if api.token is None:
        say(f"writes are disabled: {TOKEN_ENV} is not set")
    else:
        say(f"writes need 'Authorization: Bearer <the token in {TOKEN_ENV}>'")
    if host not in LOOPBACK:
        warn(
            f"listening on {host}: reachable from other machines; put it behind a reverse "
            "proxy with TLS (README: Serving the API)"
        )
    serve(app, sock, log_level=log_level)
