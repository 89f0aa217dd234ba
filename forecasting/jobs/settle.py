"""The tracking catch-up: every recorded forecast gets its one MLflow run, whatever was killed.

:func:`catch_up` (the ``tracking-catch-up`` job; one at a time per store, under a store lock):

1. ends the MLflow runs left RUNNING by killed processes
   (:func:`~forecasting.tracking.sweep_dead_runs`);
2. gives up the interrupted job runs that are not to be resumed (a user's ``run`` or
   ``forecast``, a pre-release beyond its misfire grace; see
   :func:`~forecasting.job_runs.plan_recovery`); an interrupted pre-release within its grace
   is left for the scheduler to resume;
3. settles every ledger unit without a run whose job run is no longer running
   (:func:`settle_units`): its finished run if one exists (the process was killed between
   finishing it and recording it), else a caught-up run from the ledger rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from forecasting.job_runs import plan_recovery
from forecasting.service import Service
from forecasting.store_locks import StoreLock, prune_process_locks

__all__ = ["CATCH_UP_LOCK", "CatchUp", "catch_up", "settle_units"]

#: the store lock a catch-up holds (two catch-ups never settle the same unit)
CATCH_UP_LOCK = "tracking-catch-up"


@dataclass
class CatchUp:
    """What a catch-up did: units given a new run (``logged``) or their finished run
    (``found``); units left for later (``waiting``: their job run is still running or is to
    be resumed); runs ended as KILLED (``swept``); job runs given up (``abandoned``);
    ``busy``: another catch-up was running, nothing was done."""

    logged: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)
    busy: bool = False

    def summary(self) -> str:
        if self.busy:
            return "another catch-up is running; nothing done"
        return (
            f"{len(self.logged)} unit(s) logged, {len(self.found)} found logged, "
            f"{len(self.waiting)} waiting, {len(self.swept)} dead run(s) ended, "
            f"{len(self.abandoned)} interrupted job run(s) given up"
        )


def settle_units(service: Service, units: list[str], into: CatchUp | None = None) -> CatchUp:
    """Give each ledger unit in ``units`` that has no MLflow run its one run.

    Raises:
        TrackingError: MLflow unreachable (what was settled stays settled).
    """
    from forecasting import tracking

    out = into or CatchUp()
    ledger = service.ledger.frame()
    pending = ledger[ledger["mlflow_run_id"].isna() & ledger["job_id"].isin(units)]
    for unit, rows in pending.groupby("job_id", sort=False):
        run_id, new = tracking.settle_unit(service.settings, str(unit), rows)
        if run_id is None:
            out.waiting.append(str(unit))
            continue
        service.ledger.attach_run(str(unit), run_id)
        (out.logged if new else out.found).append(str(unit))
    return out


def catch_up(service: Service, now: datetime | None = None) -> CatchUp:
    """See the module docstring.

    Raises:
        TrackingError: MLflow unreachable (the next catch-up tries again).
    """
    from forecasting import tracking

    settings = service.settings
    url = settings.service.database_url
    lock = StoreLock(url, CATCH_UP_LOCK)
    if not lock.try_acquire("catch-up"):
        return CatchUp(busy=True)
    out = CatchUp()
    try:
        out.swept = tracking.sweep_dead_runs(settings)
        runs = service.job_runs
        grace = timedelta(seconds=settings.schedule.misfire_grace_seconds)
        later = set()
        for plan in plan_recovery(runs.interrupted(), now or datetime.now(UTC), grace):
            if plan.action == "resume":
                later.add(plan.run.id)
            elif runs.abandon(plan.run, plan.reason):
                out.abandoned.append(plan.run.id)
        live = {r.id for r in runs.runs(status="running")} - set(out.abandoned)
        ledger = service.ledger.frame()
        units = []
        for unit in ledger.loc[ledger["mlflow_run_id"].isna(), "job_id"].unique():
            owner = str(unit).rsplit(":", 1)[0]
            if owner in live or owner in later:
                out.waiting.append(str(unit))
            else:
                units.append(str(unit))
        settle_units(service, units, into=out)
        prune_process_locks(url)
    finally:
        lock.release()
    return out
