"""The release dashboard: the page at ``/``, its script and style (served by the app itself,
nothing from the internet) and ``/api/dashboard``, everything the page shows in one read.

The page is ``static/index.html`` with ``dashboard.css`` and ``dashboard.js``: small vanilla
JavaScript that draws its charts as inline SVG (no chart library, no build step). It reads
``/api/dashboard`` on load and again every minute; the browser revalidates with the ETag, so
an unchanged store costs a 304.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from forecasting import __version__
from forecasting.api.errors import ApiError
from forecasting.api.read_routes import answer
from forecasting.api.state import ApiState, StoreVersion
from forecasting.errors import ForecastingError
from forecasting.series import SERIES

__all__ = ["STATIC", "dashboard_data", "mount_dashboard", "router"]

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter()
#: releases in the track record
TRACK_RECORD_RELEASES = 12
SURPLUS_TARGET = "balance_usd_bn"


def dashboard_data(api: ApiState, v: StoreVersion) -> dict:
    """Per target its coming print, that print's evolution and the track record; the year's
    surplus (when the balance is a target), the next releases and where MLflow's UI is. A
    section that cannot be made carries its error message instead."""
    from forecasting.usecases.evolution import evolution
    from forecasting.usecases.next_release import next_period, next_release
    from forecasting.usecases.track_record import track_record

    svc = api.service
    names = list(svc.settings.targets.names)
    targets = []
    for t in names:
        spec = SERIES[t]
        entry: dict = {"target": t, "unit": spec.unit, "description": spec.description}
        try:
            found = next_release(svc, t, today=v.today, compute=api.compute)
            entry["next_release"] = None if found is None else found.as_dict()
            period = found.period if found else str(next_period(svc, t, v.today).period)
            entry["evolution"] = evolution(svc, t, period).as_dict()
        except ForecastingError as exc:
            entry["error"] = str(exc)
        try:
            entry["track_record"] = track_record(
                svc, t, today=v.today, count=TRACK_RECORD_RELEASES
            ).as_dict()
        except ForecastingError as exc:
            entry["track_record_error"] = str(exc)
        targets.append(entry)
    return {
        "today": v.today,
        "version": __version__,
        "mlflow_ui_url": api.mlflow_ui_url,
        "writes_enabled": api.token is not None,
        "targets": targets,
        "surplus": _surplus(api, v) if SURPLUS_TARGET in names else None,
        "calendar": [
            {"period": str(r.period), "covers": r.covers, "release_date": r.date, "basis": r.basis}
            for r in svc.calendar().upcoming(v.today, count=3)
        ],
    }


def _surplus(api: ApiState, v: StoreVersion) -> dict:
    from forecasting.usecases.surplus import surplus

    try:
        return surplus(api.service, as_of=v.today + timedelta(days=1)).as_dict()
    except ForecastingError as exc:
        return {"error": str(exc)}


@router.get("/api/dashboard", tags=["read"], summary="Everything the dashboard page shows")
async def dashboard(request: Request) -> Response:
    return await answer(request, dashboard_data, heavy=True)


#: the page's files and their media types (kept in memory: a few kilobytes)
FILES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}


@lru_cache(maxsize=len(FILES))
def _file(name: str) -> tuple[bytes, str]:
    body = (STATIC / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def _serve(request: Request, name: str) -> Response:
    body, etag = _file(name)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FILES[name], headers=headers)


@router.get("/", include_in_schema=False)
async def page(request: Request) -> Response:
    return _serve(request, "index.html")


@router.get("/static/{name}", include_in_schema=False)
async def static(request: Request, name: str) -> Response:
    if name not in FILES or name == "index.html":
        raise ApiError(404, "NotFound", f"no file {name!r} here")
    return _serve(request, name)


def mount_dashboard(app) -> None:  # noqa: ANN001 - FastAPI
    """The page's route, its script and style under ``/static`` and ``/api/dashboard``."""
    app.include_router(router)
