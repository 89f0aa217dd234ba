"""The write endpoints: consensus polls and observations, through the same store calls as
``forecasting consensus import`` / ``consensus add`` and ``forecasting data import`` /
``data add``: the same validation and messages, all rows or none, and importing again what
is stored changes nothing (counted as ``unchanged``).

Each body holds a list; a refused row is named by its number in the list (from 1: the
``line`` of the message, the ``row`` of each problem) and its field. Cells are JSON strings
or numbers, read as the CSV cell with the same text would be (a number is its shortest text).
Behind the bearer token (:mod:`forecasting.api.auth`) and the body limit
(:mod:`forecasting.api.limits`).
"""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request, Security
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from forecasting.api.auth import bearer_scheme
from forecasting.api.state import ApiState
from forecasting.validation import OBSERVATION_COLUMNS

__all__ = ["ImportCounts", "ObservationsIn", "PollsIn", "router"]

router = APIRouter(prefix="/api", tags=["write"], dependencies=[Security(bearer_scheme)])

Cell = StrictStr | StrictFloat | StrictInt
#: a request's rows at most (the body limit usually binds first)
MAX_ROWS = 10_000


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PollIn(_Row):
    target: StrictStr = Field(examples=["exports_yoy"])
    period: StrictStr = Field(examples=["2026-11"])
    consensus: Cell = Field(examples=[3.1])
    source: StrictStr = Field(examples=["bloomberg"], description="reuters|bloomberg|wsj|other")
    n_economists: StrictInt | StrictStr | None = None
    polled_on: StrictStr | None = Field(default=None, examples=["2026-12-01"])
    note: StrictStr = ""


class PollsIn(_Row):
    polls: list[PollIn] = Field(min_length=1, max_length=MAX_ROWS)


class ObservationIn(_Row):
    series: StrictStr = Field(examples=["exports_yoy"])
    period: StrictStr = Field(examples=["2026-11"])
    value: Cell = Field(examples=[5.9])
    released: StrictStr = Field(examples=["2026-12-07"])
    source: StrictStr = Field(examples=["GACC press release"])


class ObservationsIn(_Row):
    observations: list[ObservationIn] = Field(min_length=1, max_length=MAX_ROWS)


class ImportCounts(BaseModel):
    """What a write did: rows added, rows already stored identically, rows skipped."""

    added: int
    unchanged: int
    skipped: int


def _text(value: object) -> str:
    """A JSON cell as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


@router.post(
    "/consensus",
    summary="Add consensus polls (validated like `consensus import`; all or none)",
    response_model=ImportCounts,
)
def post_consensus(request: Request, body: PollsIn) -> ImportCounts:
    api: ApiState = request.app.state.api
    rows = [
        (i, {k: _text(v) for k, v in poll.model_dump().items()})
        for i, poll in enumerate(body.polls, start=1)
    ]
    try:
        result = api.service.consensus.add_rows(rows, today=api.clock(), where="polls")
    finally:
        api.invalidate()
    return ImportCounts(added=result.added, unchanged=result.unchanged, skipped=result.skipped)


@router.post(
    "/observations",
    summary="Add a release's figures or revisions (validated like `data import`; all or none)",
    response_model=ImportCounts,
)
def post_observations(request: Request, body: ObservationsIn) -> ImportCounts:
    api: ApiState = request.app.state.api
    frame = pd.DataFrame(
        [{k: _text(v) for k, v in row.model_dump().items()} for row in body.observations],
        columns=list(OBSERVATION_COLUMNS),
    )
    try:
        result = api.service.observations.add_frame(frame, today=api.clock(), where="observations")
    finally:
        api.invalidate()
    return ImportCounts(added=result.added, unchanged=result.unchanged, skipped=result.skipped)
