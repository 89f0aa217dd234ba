"""The connection to MLflow: the configured store, experiments (with their kind), run names,
and the mapping of MLflow's failures to :class:`~forecasting.errors.TrackingError`."""

from __future__ import annotations

import contextvars
import hashlib
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from forecasting.config import Settings
from forecasting.errors import TrackingError
from forecasting.masking import mask_secrets

__all__ = [
    "EXPERIMENT_KIND",
    "EXPERIMENT_KIND_TAG",
    "STORE_TAG",
    "WRITER_TAG",
    "connected",
    "current_owner_tags",
    "experiment_id",
    "experiment_name",
    "git_commit",
    "param_text",
    "registered_model_name",
    "run_name",
]

#: MLflow 3.x opens an experiment on its GenAI overview unless the experiment's kind says
#: otherwise; "forecasting" makes the UI open on the runs table (model training).
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "forecasting"

# Fail fast when a remote tracking server is down (MLflow's defaults retry for minutes);
# a user's own settings win.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
# No usage telemetry leaves the machine unless the user turns it on.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# MLflow prints "View run ... at: <tracking URI>" on stdout when a run ends on a tracking
# server: the URI's password with it, and into `--json` output. Always off.
os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
#: the process lease of the process that writes a run (forecasting.store_locks)
WRITER_TAG = "forecasting.writer"
#: which service store that lease lives in (a digest of the database's identity)
STORE_TAG = "forecasting.store"
_owner: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "owner", default=None
)


def owner_tags(settings: Settings) -> dict[str, str]:
    """The tags naming this process as a run's writer (empty if the store's lock folder
    cannot be written: such runs cannot be told apart from a live writer's)."""
    from forecasting.errors import StoreError
    from forecasting.store_locks import process_lease, store_identity

    url = settings.service.database_url
    try:
        lease = process_lease(url)
    except StoreError:
        return {}
    return {WRITER_TAG: lease.name, STORE_TAG: store_digest(store_identity(url))}


def store_digest(identity: str) -> str:
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def current_owner_tags() -> dict[str, str]:
    """The writer tags of the :func:`connected` block being run (empty outside one)."""
    return dict(_owner.get() or {})


def experiment_name(settings: Settings, target: str) -> str:
    return f"{settings.mlflow.experiment_prefix}-{target}"


def registered_model_name(settings: Settings, target: str) -> str:
    return f"{settings.mlflow.experiment_prefix}-{target}"


def run_name(kind: str, target: str, scope: str, as_of: date | str | None = None) -> str:
    """A unique, self-explanatory run name: kind, target, range or period, as-of, and the
    moment it was logged, e.g. ``backtest exports_yoy 2016-01..2018-12 · data 2026-09-08 ·
    2026-12-03 15:40:12.345``."""
    parts = [f"{kind} {target} {scope}"]
    if as_of is not None:
        parts.append(f"as of {as_of}" if kind != "backtest" else f"data {as_of}")
    parts.append(datetime.now().isoformat(sep=" ", timespec="milliseconds"))
    return " · ".join(parts)


def git_commit(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def param_text(v: Any) -> str:
    """A parameter value as MLflow keeps it (lists comma-joined, at most 500 characters)."""
    text = ",".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
    return text[:500]


@contextmanager
def connected(settings: Settings) -> Iterator[Any]:
    """The ``mlflow`` module pointed at the configured store; its failures raised as
    TrackingError (credentials masked)."""
    import logging
    import warnings

    import mlflow
    from mlflow.exceptions import MlflowException

    from forecasting.tracking._preload import join_preloads

    join_preloads()  # a preload thread opening the store finishes first
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="mlflow")
    warnings.filterwarnings("ignore", message=".*CloudPickle.*")
    uri = settings.mlflow.tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    # mlflow.set_*_uri also write MLFLOW_*_URI into os.environ: restore them afterwards, so
    # that the process's configuration (load_settings reads MLFLOW_TRACKING_URI) stays its own
    saved = {k: os.environ.get(k) for k in _URI_VARIABLES}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    token = _owner.set(owner_tags(settings))
    try:
        yield mlflow
    except TrackingError:
        raise
    except (MlflowException, OSError, ConnectionError) as exc:
        raise _failure(uri, exc) from exc
    except Exception as exc:  # requests/urllib3/sqlalchemy errors surface under many names
        if type(exc).__module__.startswith(("requests", "urllib3", "sqlalchemy", "mlflow")):
            raise _failure(uri, exc) from exc
        raise
    finally:
        _owner.reset(token)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _failure(uri: str, exc: BaseException) -> TrackingError:
    return TrackingError(mask_secrets(f"MLflow at {uri} failed: {type(exc).__name__}: {exc}"))


def experiment_id(mlflow: Any, settings: Settings, target: str) -> str:
    """The target's experiment (created on first use), tagged with its kind so that the UI
    opens on its runs."""
    name = experiment_name(settings, target)
    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name(name)
    if exp is None:
        remote = settings.mlflow.tracking_uri.startswith("http")
        location = None if remote else (settings.mlflow.artifact_location / target).resolve()
        return client.create_experiment(
            name,
            artifact_location=None if location is None else location.as_uri(),
            tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND},
        )
    if exp.tags.get(EXPERIMENT_KIND_TAG) != EXPERIMENT_KIND:
        client.set_experiment_tag(exp.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
    return exp.experiment_id
