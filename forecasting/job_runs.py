"""Job runs: one record per run of a job, written before the work, so that a job killed at any
point (``kill -9`` included) is known, and is resumed or given up on, never repeated blindly.

A job run is ``<job>:v<version>``, e.g. ``pre-release:2026-11:v2``: the version is allocated
in the same write transaction that inserts the record (the store's write lock is held), so two
runs never share one. Its *units* are its targets: each target's forecast is recorded in the
ledger under ``<job run>:<target>`` (:func:`unit_id`) in one transaction, at most once.

``owner`` is the :func:`~forecasting.store_locks.process_lease` of the process running it. A
record still ``running`` whose owner no longer holds its lease was interrupted (the process
died); :func:`plan_recovery` decides, purely, what to do with it: a pre-release run is
resumed under the same id while its misfire grace lasts (its recorded units are kept, the
others done), anything else is given up (``abandoned``). A resumer takes a run over with a
compare-and-set on ``owner``, so only one ever does.

Statuses: ``running``, ``succeeded``, ``failed`` (finished by its owner, with the reason),
``abandoned`` (interrupted and given up).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from forecasting.db import write_transaction
from forecasting.errors import ScheduleError
from forecasting.masking import mask_secrets
from forecasting.store_locks import lock_is_held, process_lease
from forecasting.tables import job_runs_table

__all__ = [
    "MAX_ATTEMPTS",
    "JobRun",
    "JobRunStore",
    "Recovery",
    "job_of",
    "plan_recovery",
    "unit_id",
]

#: a run interrupted this many times is given up even within its grace (a crash loop)
MAX_ATTEMPTS = 5
_T = job_runs_table


def unit_id(run_id: str, target: str) -> str:
    """The ledger job id of one target's forecast in a job run."""
    return f"{run_id}:{target}"


def job_of(kind: str, scope: str) -> str:
    """The job a run belongs to: ``pre-release:PERIOD``, ``forecast:PERIOD``, ``run:DAY``."""
    return f"{kind}:{scope}"


@dataclass(frozen=True)
class JobRun:
    """A job run as recorded (``started_at``/``finished_at`` in UTC)."""

    id: str
    job: str
    version: int
    kind: str
    period: str | None
    targets: tuple[str, ...]
    status: str
    owner: str
    pid: int
    host: str
    attempts: int
    started_at: datetime
    finished_at: datetime | None
    detail: str

    def units(self) -> dict[str, str]:
        """{target: ledger job id}."""
        return {t: unit_id(self.id, t) for t in self.targets}

    def who(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC"


@dataclass(frozen=True)
class Recovery:
    """What to do with an interrupted run: ``resume`` it or give it up (``abandon``)."""

    run: JobRun
    action: Literal["resume", "abandon"]
    reason: str


def plan_recovery(interrupted: Sequence[JobRun], now: datetime, grace: timedelta) -> list[Recovery]:
    """Resume an interrupted pre-release run while ``now`` is within ``grace`` of its start
    and it was tried fewer than :data:`MAX_ATTEMPTS` times; give up everything else (a
    forecast made after its release would mislead; a user's ``run`` was seen to die)."""
    out = []
    for run in interrupted:
        if run.kind != "pre-release":
            out.append(Recovery(run, "abandon", f"a {run.kind} run is not resumed"))
        elif now - run.started_at > grace:
            out.append(Recovery(run, "abandon", f"started more than {grace} ago (misfire grace)"))
        elif run.attempts >= MAX_ATTEMPTS:
            out.append(Recovery(run, "abandon", f"interrupted {run.attempts} times"))
        else:
            out.append(Recovery(run, "resume", "within the misfire grace"))
    return out


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _row(r: sa.Row) -> JobRun:
    return JobRun(
        id=r.id,
        job=r.job,
        version=r.version,
        kind=r.kind,
        period=r.period,
        targets=tuple(t for t in r.targets.split(",") if t),
        status=r.status,
        owner=r.owner,
        pid=r.pid,
        host=r.host,
        attempts=r.attempts,
        started_at=_utc(r.started_at),  # type: ignore[arg-type]
        finished_at=_utc(r.finished_at),
        detail=r.detail,
    )


class JobRunStore:
    """The ``job_runs`` table of the service store."""

    def __init__(self, engine: Engine, database_url: str) -> None:
        self.engine = engine
        self.database_url = database_url

    def _me(self) -> dict[str, object]:
        return {
            "owner": process_lease(self.database_url).name,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }

    def start(self, job: str, kind: str, targets: Sequence[str], period: str | None) -> JobRun:
        """Record a new run of ``job`` (the next version) owned by this process."""
        me = self._me()
        with write_transaction(self.engine) as conn:
            last = conn.execute(sa.select(sa.func.max(_T.c.version)).where(_T.c.job == job))
            version = (last.scalar() or 0) + 1
            conn.execute(
                _T.insert().values(
                    id=f"{job}:v{version}",
                    job=job,
                    version=version,
                    kind=kind,
                    period=period,
                    targets=",".join(targets),
                    status="running",
                    attempts=1,
                    started_at=datetime.now(UTC),
                    detail="",
                    **me,
                )
            )
        return self.get(f"{job}:v{version}")

    def get(self, run_id: str) -> JobRun:
        """Raises ScheduleError for an unknown id."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(_T).where(_T.c.id == run_id)).first()
        if row is None:
            raise ScheduleError(f"no job run {run_id!r} in the store")
        return _row(row)

    def find(self, run_id: str) -> JobRun | None:
        try:
            return self.get(run_id)
        except ScheduleError:
            return None

    def runs(self, job: str | None = None, status: str | None = None) -> list[JobRun]:
        q = sa.select(_T).order_by(_T.c.started_at, _T.c.id)
        if job is not None:
            q = q.where(_T.c.job == job)
        if status is not None:
            q = q.where(_T.c.status == status)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def is_live(self, run: JobRun) -> bool:
        """Running, and its owner process still holds its lease."""
        return run.status == "running" and lock_is_held(self.database_url, run.owner)

    def interrupted(self) -> list[JobRun]:
        """Runs still marked running whose owner process is gone."""
        return [r for r in self.runs(status="running") if not self.is_live(r)]

    def take_over(self, run: JobRun) -> JobRun | None:
        """Become the owner of interrupted ``run`` (compare-and-set on its owner); ``None``
        when it is live, finished or another process took it first."""
        if run.status != "running" or self.is_live(run):
            return None
        me = self._me()
        with write_transaction(self.engine) as conn:
            res = conn.execute(
                _T.update()
                .where(_T.c.id == run.id, _T.c.status == "running", _T.c.owner == run.owner)
                .values(attempts=_T.c.attempts + 1, **me)
            )
        return self.get(run.id) if res.rowcount == 1 else None

    def finish(self, run: JobRun, status: str, detail: str = "") -> bool:
        """Mark a run this process owns finished; ``False`` if it is no longer its own."""
        return self._set(run, status, detail, owner=process_lease(self.database_url).name)

    def abandon(self, run: JobRun, reason: str) -> bool:
        """Give up an interrupted run (compare-and-set on its recorded owner)."""
        if self.is_live(run):
            return False
        return self._set(run, "abandoned", f"interrupted ({run.who()}); {reason}", run.owner)

    def _set(self, run: JobRun, status: str, detail: str, owner: str) -> bool:
        with write_transaction(self.engine) as conn:
            res = conn.execute(
                _T.update()
                .where(_T.c.id == run.id, _T.c.status == "running", _T.c.owner == owner)
                .values(
                    status=status,
                    finished_at=datetime.now(UTC),
                    detail=mask_secrets(detail)[:2000],
                )
            )
        return res.rowcount == 1

    def latest_start(self, job: str) -> datetime | None:
        """When the latest run of ``job`` started (UTC), if any."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(_T.c.started_at)).where(_T.c.job == job)
            ).scalar()
        if isinstance(value, str):  # SQLite returns max() of a datetime column as text
            value = datetime.fromisoformat(value)
        return _utc(value)
