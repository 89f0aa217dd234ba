"""The read endpoints: each calls the library function its CLI command calls and returns its
JSON, with an ETag (the store's version, see :mod:`forecasting.api.state`) and
``Cache-Control: no-cache``; ``If-None-Match`` with the current ETag is answered 304 without
computing anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from forecasting import __version__
from forecasting.api.errors import ApiError
from forecasting.api.state import ApiState, StoreVersion
from forecasting.usecases.next_release import jsonable

__all__ = ["answer", "router"]

router = APIRouter(prefix="/api", tags=["read"])
Period = Annotated[str | None, Query(description="YYYY-MM", pattern=r"^\d{4}-\d{2}$")]


def _url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


async def answer(
    request: Request,
    compute: Callable[[ApiState, StoreVersion], object],
    *,
    heavy: bool = False,
) -> Response:
    """The read's JSON for the store's current version (304 when the client has it).

    A read of a version asked recently, with its response computed, never leaves the event
    loop; asking the store and computing run in the thread pool."""
    api: ApiState = request.app.state.api
    version = api.recent_version() or await run_in_threadpool(api.refresh)
    url = _url(request)
    etag = api.etag(version, url)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    hit = api.peek(url, version)
    if hit is None:
        work = lambda: jsonable(compute(api, version))  # noqa: E731
        hit = await run_in_threadpool(api.cached, url, version, work, heavy=heavy)
    return Response(hit.body, media_type="application/json", headers=headers)


@router.get("/health", summary="Liveness, the version and whether writes are enabled")
async def health(request: Request) -> dict:
    api: ApiState = request.app.state.api
    return {"status": "ok", "version": __version__, "writes_enabled": api.token is not None}


@router.get("/calendar", summary="The coming releases (or every release dated in a year)")
async def calendar(
    request: Request,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.calendar import target_periods
        from forecasting.scheduler.specs import post_release_fire_time, pre_release_fire_time

        settings = api.service.settings
        cal = api.service.calendar()
        if year is None:
            releases = cal.upcoming(v.today, count=12)
        else:
            periods = target_periods(f"{year - 1}-11", f"{year}-12")
            releases = [r for r in map(cal.release, periods) if r.date.year == year]
        return {
            "today": v.today,
            "timezone": settings.schedule.timezone,
            "releases": [
                {
                    "period": str(r.period),
                    "covers": r.covers,
                    "release_date": r.date,
                    "weekday": f"{r.date:%a}",
                    "basis": r.basis,
                    "past": r.date < v.today,
                    "pre_release_run": pre_release_fire_time(r, settings).isoformat(),
                    "post_release_run": post_release_fire_time(r, settings).isoformat(),
                }
                for r in releases
            ],
        }

    return await answer(request, compute)


@router.get("/next-release", summary="The coming print of every configured target")
async def next_releases(request: Request) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.next_release import next_release

        names = api.service.settings.targets.names
        return {
            "today": v.today,
            "targets": [
                next_release(api.service, t, today=v.today, compute=api.compute).as_dict()
                for t in names
            ],
        }

    return await answer(request, compute, heavy=True)


@router.get(
    "/targets/{target}/next-release",
    summary="A target's coming print: ensemble and intervals, consensus, P(beat), champion",
)
async def next_release_one(request: Request, target: str) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.next_release import next_release

        found = next_release(api.service, target, today=v.today, compute=api.compute)
        if found is None:
            raise ApiError(404, "NotFound", f"no forecast recorded for {target}'s next release")
        return found.as_dict()

    return await answer(request, compute, heavy=True)


@router.get(
    "/targets/{target}/periods/{period}/forecasts",
    summary="One period's forecasts over time (the ledger), the polls and indicator releases",
)
async def period_forecasts(request: Request, target: str, period: str) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.evolution import evolution

        return evolution(api.service, target, period).as_dict()

    return await answer(request, compute)


@router.get("/targets/{target}/track-record", summary="The last releases: model vs consensus")
async def track_record(
    request: Request,
    target: str,
    count: Annotated[int, Query(ge=1, le=240)] = 12,
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.track_record import track_record as record

        return record(api.service, target, today=v.today, count=count).as_dict()

    return await answer(request, compute)


@router.get(
    "/targets/{target}/scoreboard",
    summary="Each model and the ensemble against the consensus (default: the last 36 releases)",
    description="The releases in [start, end] (without start: the last 36 up to end). Scored "
    "against the consensus over the periods with a poll (`forecasting compare`); a window "
    "without any poll (the balance) scores the models on their own and says so in "
    "`consensus_note`.",
)
async def scoreboard(
    request: Request, target: str, start: Period = None, end: Period = None
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.scoreboard_view import scoreboard_view

        return scoreboard_view(api.service, target, start=start, end=end).as_dict()

    return await answer(request, compute, heavy=True)


@router.get("/series/{series}", summary="A series from the store as known before a date")
async def series(
    request: Request,
    series: str,
    as_of: Annotated[date | None, Query(description="Figures released before this day")] = None,
    vintages: Annotated[bool, Query(description="Every stored vintage, not the latest")] = False,
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.errors import DataError
        from forecasting.series import SERIES

        if series not in SERIES:
            raise DataError(f"unknown series {series!r}; known: {', '.join(SERIES)}")
        before = as_of or v.today + timedelta(days=1)
        store = api.service.observations
        if vintages:
            frame = store.frame()
            frame = frame[frame["released"] < before]
        else:
            frame = store.information_set(before)
        frame = frame[frame["series"] == series].sort_values(["period", "released"])
        return {"series": series, "as_of": before, "rows": frame.to_dict("records")}

    return await answer(request, compute)


@router.get("/ledger", summary="The forecast ledger (what was said before each release)")
async def ledger(
    request: Request,
    target: str | None = None,
    period: Period = None,
    model: str | None = None,
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.series import SERIES
        from forecasting.usecases._common import checked_target

        if target is not None:
            checked_target(target)
        f = api.service.ledger.frame(target=target, period=period)
        if model:
            f = f[f["model"] == model]
        units = {t: SERIES[t].unit for t in sorted(set(f["target"])) if t in SERIES}
        return {"units": units, "rows": f.drop(columns=["created_at"]).to_dict("records")}

    return await answer(request, compute)


@router.get("/surplus", summary="The year's trade surplus so far, its projection and P(record)")
async def surplus(
    request: Request, year: Annotated[int | None, Query(ge=1990, le=2100)] = None
) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases.surplus import surplus as project

        return project(api.service, year=year, as_of=v.today + timedelta(days=1)).as_dict()

    return await answer(request, compute, heavy=True)


@router.get("/status", summary="What is stored, due and overdue (forecasting data status)")
async def status(request: Request) -> Response:
    def compute(api: ApiState, v: StoreVersion) -> object:
        from forecasting.usecases import data_status

        return data_status(api.service, v.today).as_dict()

    return await answer(request, compute)
