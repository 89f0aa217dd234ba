"""Open the service: settings, database, stores and calendar, with the snapshot loaded.

:func:`open_service` is the first-use bootstrap: it creates the schema and loads the bundled
snapshot (both idempotent and safe when many processes start at once on a fresh store), then
imports new files from the configured data directories. A bad file there is reported in
``Service.warnings`` and skipped; the rest of the service goes on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from sqlalchemy.engine import Engine

from forecasting.calendar import ReleaseCalendar, load_release_calendar
from forecasting.config import Settings, load_settings
from forecasting.db import make_engine, read_meta, write_meta
from forecasting.errors import DataError
from forecasting.observations import ObservationStore
from forecasting.series import SERIES
from forecasting.snapshot_loader import SnapshotLoad, load_snapshot

__all__ = ["Service", "load_data_directories", "open_service"]


@dataclass
class Service:
    """The opened service.

    ``warnings``: plain-text lines for the user, one per problem met while opening that did
    not stop it (a bad file in a data directory, a stored figure kept against the snapshot).
    ``snapshot_load``: what loading the bundled snapshot did in this process (None when the
    store already held it).
    """

    settings: Settings
    engine: Engine
    observations: ObservationStore = field(init=False)
    warnings: list[str] = field(default_factory=list)
    snapshot_load: SnapshotLoad | None = None

    def __post_init__(self) -> None:
        self.observations = ObservationStore(self.engine)

    @cached_property
    def consensus(self):  # noqa: ANN201 - imported lazily to keep start-up light
        from forecasting.consensus import ConsensusStore

        return ConsensusStore(self.engine)

    @cached_property
    def ledger(self):  # noqa: ANN201
        from forecasting.ledger import ForecastLedger

        return ForecastLedger(self.engine)

    @cached_property
    def job_runs(self):  # noqa: ANN201
        from forecasting.job_runs import JobRunStore

        return JobRunStore(self.engine, self.settings.service.database_url)

    @cached_property
    def backtests(self):  # noqa: ANN201
        from forecasting.backtest_store import BacktestStore

        return BacktestStore(self.engine)

    @cached_property
    def origin_rows(self):  # noqa: ANN201
        from forecasting.origin_cache import OriginRows

        return OriginRows(self.engine)

    def calendar(self) -> ReleaseCalendar:
        observed = self.observations.release_dates("exports_yoy")
        return load_release_calendar(self.settings.calendar_path, observed)


def open_service(settings: Settings | None = None) -> Service:
    """Connect to the configured store, create its schema and load the bundled snapshot on
    first use (a newer snapshot's rows after an upgrade), and import new files from the
    configured data directories (a bad one becomes a warning).

    Raises:
        ConfigError: a bad configuration or store URL.
        StoreError: the store cannot be opened, read or written.
    """
    settings = settings or load_settings()
    engine = make_engine(settings.service.database_url)
    service = Service(settings=settings, engine=engine)
    service.snapshot_load = load_snapshot(engine)
    if service.snapshot_load is not None:
        service.warnings.extend(service.snapshot_load.warnings)
    service.warnings.extend(load_data_directories(service))
    from forecasting.derived import refresh_derived_levels

    service.warnings.extend(refresh_derived_levels(engine))
    service.observations.invalidate()  # the derived rows may have changed
    return service


def load_data_directories(service: Service, *, today: date | None = None) -> list[str]:
    """Import each ``<series>.csv`` of the configured folders once per file content (files
    named otherwise are not data files and are left alone).

    Returns:
        a warning per folder or file that could not be imported (it is skipped and tried again
        on the next start; nothing of it is written).
    """
    today = today or date.today()
    warnings: list[str] = []
    for directory in service.settings.data.directories:
        folder = Path(directory)
        if not folder.is_dir():
            warnings.append(f"data.directories: {str(folder)!r} is not a folder; skipped")
            continue
        for path in sorted(folder.glob("*.csv")):
            spec = SERIES.get(path.stem)
            if spec is None or spec.release_rule is None:
                continue
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            except OSError as exc:
                warnings.append(
                    f"data.directories: {path}: cannot be read ({exc.strerror or exc}); skipped"
                )
                continue
            key = "datadir:" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
            if read_meta(service.engine, key) == digest:
                continue
            try:
                service.observations.import_csv(path, today=today, series=path.stem)
            except DataError as exc:
                warnings.append(f"data.directories: skipped {path}: {_one_line(str(exc))}")
                continue
            write_meta(service.engine, key, digest)
    return warnings


def _one_line(message: str) -> str:
    """A multi-line problem list as one line (the first problems, '; '-joined)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    return "; ".join(lines[:4]) + ("; ..." if len(lines) > 4 else "")
