"""Forecasting and nowcasting service for China's monthly customs trade data."""

__version__ = "0.1.0"

from forecasting.calendar import ReleaseCalendar, target_periods  # noqa: E402
from forecasting.config import Settings, load_settings  # noqa: E402
from forecasting.errors import (  # noqa: E402
    ConfigError,
    DataError,
    ForecastingError,
    ModelError,
    NotReleasedError,
    ScheduleError,
    StoreError,
    TrackingError,
)
from forecasting.observations import (  # noqa: E402
    ImportResult,
    ObservationStore,
    information_set,
    target_history,
)
from forecasting.service import Service, open_service  # noqa: E402
from forecasting.snapshot_loader import snapshot_version  # noqa: E402

__all__ = [
    "ConfigError",
    "DataError",
    "ForecastingError",
    "ImportResult",
    "ModelError",
    "NotReleasedError",
    "ObservationStore",
    "ReleaseCalendar",
    "ScheduleError",
    "Service",
    "Settings",
    "StoreError",
    "TrackingError",
    "__version__",
    "information_set",
    "load_settings",
    "open_service",
    "snapshot_version",
    "target_history",
    "target_periods",
]
