"""The scheduler's tables in the service database.

- ``apscheduler_jobs``: APScheduler's own :class:`SQLAlchemyJobStore` table (pickled jobs).
- ``scheduler_fired``: one-off job ids the scheduler has already submitted or missed, so a
  re-derivation of the jobs (restart, calendar refresh) never re-creates a job that ran.

:func:`stored_jobs` reads the job table without starting a scheduler and without importing the
job functions (listing never runs, removes or rewrites anything).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = [
    "JOBS_TABLE",
    "StoredJob",
    "ensure_tables",
    "fired_job_ids",
    "fired_jobs",
    "record_fired",
    "scheduler_engine",
    "stored_jobs",
]

JOBS_TABLE = "apscheduler_jobs"

_metadata = sa.MetaData()
fired_table = sa.Table(
    "scheduler_fired",
    _metadata,
    sa.Column("job_id", sa.String(191), primary_key=True),
    sa.Column("fire_time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)


def scheduler_engine(database_url: str) -> Engine:
    """An engine on the service database with the scheduler's own table created."""
    from forecasting.db import make_engine

    engine = make_engine(database_url)
    ensure_tables(engine)
    return engine


def ensure_tables(engine: Engine) -> None:
    """Create the scheduler's own table on ``engine`` if missing."""
    _metadata.create_all(engine)


def record_fired(engine: Engine, job_id: str, fire_time: datetime | None, outcome: str) -> None:
    """Remember that a one-off job was submitted (``outcome="submitted"``) or missed."""
    with engine.begin() as conn:
        conn.execute(fired_table.delete().where(fired_table.c.job_id == job_id))
        conn.execute(
            fired_table.insert().values(
                job_id=job_id,
                fire_time=fire_time,
                outcome=outcome,
                recorded_at=datetime.now(UTC),
            )
        )


def fired_jobs(engine: Engine, timezone: str) -> list[tuple[str, datetime | None, str]]:
    """``(job id, fire time, outcome)`` of the one-off jobs fired or missed (a fire time
    stored without zone, as SQLite does, is in the schedule's ``timezone``)."""
    tz = ZoneInfo(timezone)
    c = fired_table.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.job_id, c.fire_time, c.outcome)).all()
    return [
        (j, t.replace(tzinfo=tz) if t is not None and t.tzinfo is None else t, o)
        for j, t, o in rows
    ]


def fired_job_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(fired_table.c.job_id)).scalars())


@dataclass(frozen=True)
class StoredJob:
    """A job as the store holds it (``next_run_time`` ``None``: paused)."""

    id: str
    next_run_time: datetime | None
    trigger: str
    func: str
    kwargs: dict[str, Any]


def stored_jobs(engine: Engine, timezone: str) -> list[StoredJob]:
    """The jobs in the persistent store, by next fire time (in ``timezone``)."""
    if not sa.inspect(engine).has_table(JOBS_TABLE):
        return []
    table = sa.Table(JOBS_TABLE, sa.MetaData(), autoload_with=engine)
    tz = ZoneInfo(timezone)
    out: list[StoredJob] = []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(table.c.id, table.c.next_run_time, table.c.job_state).order_by(
                table.c.next_run_time
            )
        )
        for row in rows:
            state = pickle.loads(row.job_state)
            nxt = (
                datetime.fromtimestamp(row.next_run_time, tz)
                if row.next_run_time is not None
                else None
            )
            out.append(
                StoredJob(
                    id=row.id,
                    next_run_time=nxt,
                    trigger=str(state.get("trigger")),
                    func=str(state.get("func")),
                    kwargs=dict(state.get("kwargs") or {}),
                )
            )
    return out
