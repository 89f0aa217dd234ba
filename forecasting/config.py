"""Typed, frozen configuration loaded from ``configs/forecasting.toml`` and validated at load.

Environment overrides: ``FORECASTING_CONFIG`` (the file), ``FORECASTING_DATABASE_URL`` (the
service store) and ``MLFLOW_TRACKING_URI`` (MLflow's own convention).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forecasting.errors import ConfigError

__all__ = [
    "PROJECT_ROOT",
    "Settings",
    "TARGETS",
    "Target",
    "default_config_path",
    "load_settings",
]

Target = Literal["exports_yoy", "imports_yoy", "balance_usd_bn"]
TARGETS: tuple[str, ...] = get_args(Target)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_config_path() -> Path:
    return Path(os.environ.get("FORECASTING_CONFIG", PROJECT_ROOT / "configs" / "forecasting.toml"))


@dataclass(frozen=True)
class ServiceConfig:
    state_dir: Path
    database_url: str


@dataclass(frozen=True)
class MlflowConfig:
    tracking_uri: str
    artifact_location: Path
    experiment_prefix: str


@dataclass(frozen=True)
class DataConfig:
    directories: tuple[Path, ...]
    inbox: Path  # optional in the file: default ``<state_dir>/inbox``


@dataclass(frozen=True)
class TargetsConfig:
    names: tuple[str, ...]


@dataclass(frozen=True)
class ModelsConfig:
    default: tuple[str, ...]


@dataclass(frozen=True)
class BacktestConfig:
    jobs: int
    recent_window: int
    dask_scheduler: str


@dataclass(frozen=True)
class ScheduleConfig:
    timezone: str
    pre_release_days: int
    pre_release_time: time
    post_release_time: time
    post_release_retry_hours: int
    misfire_grace_seconds: int


@dataclass(frozen=True)
class Settings:
    root: Path
    config_path: Path
    service: ServiceConfig
    mlflow: MlflowConfig
    data: DataConfig
    targets: TargetsConfig
    models: ModelsConfig
    backtest: BacktestConfig
    schedule: ScheduleConfig

    @property
    def calendar_path(self) -> Path:
        return self.config_path.parent / "release_calendar.toml"


_SECTIONS = {
    "service": ServiceConfig,
    "mlflow": MlflowConfig,
    "data": DataConfig,
    "targets": TargetsConfig,
    "models": ModelsConfig,
    "backtest": BacktestConfig,
    "schedule": ScheduleConfig,
}


#: keys a file may leave out (their defaults depend on other keys)
_OPTIONAL = {"data": {"inbox"}}


def load_settings(path: Path | str | None = None, *, root: Path | None = None) -> Settings:
    """Read, validate and resolve the configuration file.

    Raises:
        ConfigError: naming the file and the bad section, key or value.
    """
    config_path = Path(path) if path is not None else default_config_path()
    config_path = config_path.resolve()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from None
    base = root if root is not None else config_path.parent.parent
    where = str(config_path)

    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}"
        )
    for name, cls in _SECTIONS.items():
        section = raw.get(name)
        if not isinstance(section, dict):
            raise ConfigError(f"{where}: missing section [{name}]")
        allowed = {f.name for f in fields(cls)}
        extra = set(section) - allowed
        if extra:
            raise ConfigError(
                f"{where}: unknown key(s) {sorted(extra)} in [{name}]; known: {sorted(allowed)}"
            )
        missing = allowed - set(section) - _OPTIONAL.get(name, set())
        if missing:
            raise ConfigError(f"{where}: missing key(s) {sorted(missing)} in [{name}]")

    s, m, d, t, mo, b, sc = (raw[k] for k in _SECTIONS)
    state_dir = _path(base, _typed(where, "service.state_dir", s["state_dir"], str))
    database_url = os.environ.get("FORECASTING_DATABASE_URL") or _typed(
        where, "service.database_url", s["database_url"], str
    )
    _check_store_url(
        database_url,
        "FORECASTING_DATABASE_URL"
        if os.environ.get("FORECASTING_DATABASE_URL")
        else f"{where}: service.database_url",
    )
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or _typed(
        where, "mlflow.tracking_uri", m["tracking_uri"], str
    )
    names = tuple(_typed(where, "targets.names", t["names"], list))
    for n in names:
        if n not in TARGETS:
            raise ConfigError(f"{where}: targets.names has unknown target {n!r}; known: {TARGETS}")
    if not names:
        raise ConfigError(f"{where}: targets.names is empty")
    default_models = tuple(_typed(where, "models.default", mo["default"], list))
    _check_models(where, default_models)
    tz = _typed(where, "schedule.timezone", sc["timezone"], str)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: schedule.timezone {tz!r} is not a known time zone") from None

    return Settings(
        root=base,
        config_path=config_path,
        service=ServiceConfig(
            state_dir=state_dir, database_url=_sqlite_absolute(database_url, base)
        ),
        mlflow=MlflowConfig(
            tracking_uri=_sqlite_absolute(tracking_uri, base),
            artifact_location=_path(
                base, _typed(where, "mlflow.artifact_location", m["artifact_location"], str)
            ),
            experiment_prefix=_typed(
                where, "mlflow.experiment_prefix", m["experiment_prefix"], str
            ),
        ),
        data=DataConfig(
            directories=tuple(
                _path(base, _typed(where, "data.directories[]", p, str))
                for p in _typed(where, "data.directories", d["directories"], list)
            ),
            inbox=_inbox(where, base, d.get("inbox", ""), state_dir),
        ),
        targets=TargetsConfig(names=names),
        models=ModelsConfig(default=default_models),
        backtest=BacktestConfig(
            jobs=_positive(where, "backtest.jobs", b["jobs"]),
            recent_window=_positive(where, "backtest.recent_window", b["recent_window"]),
            dask_scheduler=_typed(where, "backtest.dask_scheduler", b["dask_scheduler"], str),
        ),
        schedule=ScheduleConfig(
            timezone=tz,
            pre_release_days=_non_negative(
                where, "schedule.pre_release_days", sc["pre_release_days"]
            ),
            pre_release_time=_clock(where, "schedule.pre_release_time", sc["pre_release_time"]),
            post_release_time=_clock(where, "schedule.post_release_time", sc["post_release_time"]),
            post_release_retry_hours=_positive(
                where, "schedule.post_release_retry_hours", sc["post_release_retry_hours"]
            ),
            misfire_grace_seconds=_positive(
                where, "schedule.misfire_grace_seconds", sc["misfire_grace_seconds"]
            ),
        ),
    )


def _typed(where: str, key: str, value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key} must be {kind.__name__}, got {value!r}")
    return value


def _positive(where: str, key: str, value: Any) -> int:
    value = _typed(where, key, value, int)
    if value < 1:
        raise ConfigError(f"{where}: {key} must be >= 1, got {value!r}")
    return value


def _non_negative(where: str, key: str, value: Any) -> int:
    value = _typed(where, key, value, int)
    if value < 0:
        raise ConfigError(f"{where}: {key} must be >= 0, got {value!r}")
    return value


def _clock(where: str, key: str, value: Any) -> time:
    """``HH:MM`` (ASCII digits) as a time; ``time.fromisoformat`` alone also takes ``0900``,
    ``09`` and ``T09:00``."""
    value = _typed(where, key, value, str)
    try:
        if not re.fullmatch(r"[0-9]{2}:[0-9]{2}", value, re.ASCII):
            raise ValueError
        return time.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{where}: {key} must be HH:MM, got {value!r}") from None


def _check_models(where: str, aliases: tuple[str, ...]) -> None:
    from models.registry import MODEL_PATHS

    for alias in aliases:
        if alias not in MODEL_PATHS:
            raise ConfigError(
                f"{where}: models.default has unknown model {alias!r}; known: {list(MODEL_PATHS)}"
            )


def _check_store_url(url: str, origin: str) -> None:
    """A malformed store URL, an unsupported scheme or a missing driver as a ConfigError
    naming where the URL came from (its password masked)."""
    from forecasting.db import store_url

    try:
        store_url(url)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def _inbox(where: str, base: Path, value: Any, state_dir: Path) -> Path:
    """``data.inbox``: a folder, ``""`` (or left out) for ``<state_dir>/inbox``."""
    value = _typed(where, "data.inbox", value, str)
    return _path(base, value) if value else state_dir / "inbox"


def _path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def _sqlite_absolute(url: str, base: Path) -> str:
    """Make a relative SQLite URL absolute against the project root; other URLs unchanged."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rel = url[len(prefix) :]
        if rel and rel != ":memory:":
            return prefix + str((base / rel).resolve())
    return url
