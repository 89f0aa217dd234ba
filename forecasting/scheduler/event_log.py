"""Structured job events: one JSON line per event, to ``<state_dir>/scheduler.log`` and stderr.

Each line is ``{"ts": ISO time, "event": EVENT, "job_id": ..., "detail": ...}`` with ``EVENT``
one of :data:`EVENTS`:

- ``scheduled``: a job was added or replaced in the store (detail: next fire time);
- ``started``: the dispatcher began a job (scheduler or ``run-now``);
- ``succeeded`` / ``failed``: the job function returned / raised (detail: the error);
- ``retry``: a post-release found no actual yet; detail says when it tries again;
- ``missed``: a fire time passed beyond the misfire grace, a run was skipped because the job
  was still running (``max_instances=1``), a post-release passed its deadline, or an
  interrupted job run was given up (beyond its grace, or not a scheduled job);
- ``imported`` / ``rejected``: the ``data-inbox`` job took one file (detail: what it held and
  where it went, or its first errors);
- ``scored``: a post-release scoring the inbox started at once for a newly released period;
- ``overdue``: the one-line summary of the data that is due but not in the store;
- ``resumed``: on start, the scheduler found a job run interrupted (its process killed) and
  runs it again to finish it (detail: what it had recorded, what is left).

Every detail is masked (:func:`~forecasting.masking.mask_secrets`): no password reaches the log.

Scheduler life-cycle lines (``scheduler-started``, ``scheduler-stopped``) use the same format.
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from forecasting.masking import mask_secrets

__all__ = ["EVENTS", "Event", "EventLog", "event_log_path"]

Event = Literal[
    "scheduled",
    "started",
    "succeeded",
    "failed",
    "retry",
    "missed",
    "imported",
    "rejected",
    "scored",
    "overdue",
    "resumed",
    "scheduler-started",
    "scheduler-stopped",
]
EVENTS: tuple[str, ...] = Event.__args__  # type: ignore[attr-defined]

_lock = threading.Lock()


def event_log_path(state_dir: Path) -> Path:
    return Path(state_dir) / "scheduler.log"


class EventLog:
    """Append-only JSON-lines log; thread-safe; with ``echo`` also writes each line to stderr."""

    def __init__(self, path: Path, echo: bool = True) -> None:
        self.path = Path(path)
        self._echo = echo

    @classmethod
    def for_state_dir(cls, state_dir: Path, echo: bool = True) -> EventLog:
        return cls(event_log_path(state_dir), echo=echo)

    def write(self, event: Event, job_id: str | None, detail: str = "") -> dict:
        record = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "job_id": job_id,
            "detail": mask_secrets(detail),
        }
        line = json.dumps(record, ensure_ascii=False)
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            if self._echo:
                try:
                    sys.stderr.write(line + "\n")
                    sys.stderr.flush()
                except (OSError, ValueError):  # a closed pipe must not fail a job
                    pass
        return record

    def read(self) -> list[dict]:
        """Every record so far (for tests and tools)."""
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
