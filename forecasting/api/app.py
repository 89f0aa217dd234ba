"""The app factory: :func:`create_app` opens the service once and puts the routes, the error
mapping, the write guard and the body limit together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import FastAPI

from forecasting import __version__
from forecasting.api.auth import WriteGuard, token_from_env
from forecasting.api.dashboard import mount_dashboard
from forecasting.api.errors import install_error_handlers
from forecasting.api.limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from forecasting.api.read_routes import router as read_router
from forecasting.api.state import DEFAULT_MLFLOW_UI_URL, ApiState
from forecasting.api.write_routes import router as write_router
from forecasting.config import Settings

__all__ = ["MLFLOW_UI_ENV", "create_app"]

#: where the dashboard's MLflow run links point (default http://127.0.0.1:5000)
MLFLOW_UI_ENV = "FORECASTING_MLFLOW_UI_URL"

DESCRIPTION = """
Forecasts of China's monthly customs trade prints (exports and imports y/y %, the trade
balance) against the economists' consensus: the same figures as the `forecasting` command.

Reads need nothing and carry an ETag (send `If-None-Match` to get 304 while nothing changed).
Writes (`POST /api/consensus`, `POST /api/observations`) need `Authorization: Bearer <token>`
with the token the server was started with (`FORECASTING_API_TOKEN`); without one configured
they are refused. Every error is `{"error": {"status", "type", "message", "problems"}}`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    service=None,  # noqa: ANN001 - an opened forecasting.service.Service
    token: str | None | object = ...,
    clock: Callable[[], date] | None = None,
    mlflow_ui_url: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    compute: bool = True,
) -> FastAPI:
    """The ASGI app.

    Args:
        settings: the configuration (default: :func:`~forecasting.config.load_settings`).
        service: an opened service (default: opened here from ``settings``).
        token: the write token (default: ``FORECASTING_API_TOKEN``; None refuses writes).
        clock: today's date (default: the machine's, as every CLI command takes it).
        mlflow_ui_url: the MLflow UI the dashboard links to (default:
            ``FORECASTING_MLFLOW_UI_URL``, else http://127.0.0.1:5000).
        max_body_bytes: the largest request body accepted (413 beyond).
        compute: compute a target's next forecast when the ledger holds none (else 404).

    Raises:
        ConfigError, StoreError: the configuration or the store cannot be opened.
    """
    import os

    from forecasting.config import load_settings
    from forecasting.service import open_service

    if service is None:
        service = open_service(settings or load_settings())
    settings = service.settings
    api = ApiState(
        service=service,
        clock=clock or date.today,
        token=token_from_env() if token is ... else token,  # type: ignore[arg-type]
        mlflow_ui_url=(
            mlflow_ui_url or os.environ.get(MLFLOW_UI_ENV, "") or DEFAULT_MLFLOW_UI_URL
        ).rstrip("/"),
        compute=compute,
    )
    _ = service.consensus, service.ledger, service.backtests  # made once, not per thread
    app = FastAPI(
        title="China trade forecasting",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # served below from local files, not a CDN
        redoc_url=None,
    )
    _mount_docs(app)
    app.state.api = api
    install_error_handlers(app)
    app.include_router(read_router)
    app.include_router(write_router)
    mount_dashboard(app)
    # the last added runs first: the token is checked before any body is read
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(WriteGuard, token=api.token)
    return app


def _mount_docs(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the files ``swagger-ui-py`` installs (works offline)."""
    from pathlib import Path

    import swagger_ui
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(swagger_ui.__file__).resolve().parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="China trade forecasting: API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
            swagger_ui_parameters={"defaultModelsExpandDepth": 0},
        )
