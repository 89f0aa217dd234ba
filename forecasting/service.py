"""Open the service: settings, database, stores and calendar, with the snapshot loaded."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from forecasting.calendar import ReleaseCalendar, load_release_calendar
from forecasting.config import Settings, load_settings
from forecasting.db import make_engine, read_meta, write_meta
from forecasting.observations import ObservationStore
from forecasting.series import SERIES
from forecasting.snapshot_loader import (
    SNAPSHOT_OBSERVATIONS,
    loaded_fingerprint,
    mark_loaded,
    snapshot_fingerprint,
    snapshot_path,
)

__all__ = ["Service", "open_service"]


@dataclass
class Service:
    settings: Settings
    engine: Engine
    observations: ObservationStore = field(init=False)

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
    def backtests(self):  # noqa: ANN201
        from forecasting.backtest_store import BacktestStore

        return BacktestStore(self.engine)

    def calendar(self) -> ReleaseCalendar:
        observed = self.observations.release_dates("exports_yoy")
        return load_release_calendar(self.settings.calendar_path, observed)


def open_service(settings: Settings | None = None) -> Service:
    """Connect to the configured store, load the bundled snapshot on first use and new files
    from the configured data directories."""
    settings = settings or load_settings()
    engine = make_engine(settings.service.database_url)
    service = Service(settings=settings, engine=engine)
    _load_snapshot(service)
    _load_data_directories(service)
    return service


def _new_rows(store: ObservationStore, frame: pd.DataFrame) -> pd.DataFrame:
    keys = store.stored_keys()
    mask = [
        (s, p, r) not in keys
        for s, p, r in zip(frame["series"], frame["period"], frame["released"], strict=True)
    ]
    return frame[mask]


def _load_snapshot(service: Service) -> None:
    fingerprint = snapshot_fingerprint()
    if loaded_fingerprint(service.engine) == fingerprint:
        return
    frame = pd.read_csv(snapshot_path(SNAPSHOT_OBSERVATIONS), dtype=str, keep_default_na=False)
    frame["released"] = pd.to_datetime(frame["released"]).dt.date
    new = _new_rows(service.observations, frame)
    if not new.empty:
        service.observations.add_frame(
            new.astype({"released": str}), today=date.today(), where="bundled snapshot"
        )
    service.consensus.load_snapshot()
    mark_loaded(service.engine, fingerprint)


def _load_data_directories(service: Service) -> None:
    """Import each ``<series>.csv`` of the configured folders once per file content."""
    for directory in service.settings.data.directories:
        for path in sorted(Path(directory).glob("*.csv")):
            spec = SERIES.get(path.stem)
            if spec is None or spec.release_rule is None:
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            key = "datadir:" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:32]
            if read_meta(service.engine, key) == digest:
                continue
            service.observations.import_csv(path, today=date.today(), series=path.stem)
            write_meta(service.engine, key, digest)
