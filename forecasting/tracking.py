"""Everything MLflow lives here: experiments, runs, artifacts, models and the registry.

The rest of the service never imports mlflow. Each public function raises
:class:`~forecasting.errors.TrackingError` when the tracking store cannot be reached or refuses a
write, so callers can record the work elsewhere first and catch the logging up later.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from forecasting.config import Settings
from forecasting.errors import TrackingError

__all__ = [
    "experiment_name",
    "git_commit",
    "log_backtest",
    "log_job_run",
    "register_final_models",
    "registered_model_name",
]

# Fail fast when a remote tracking server is down (MLflow's defaults retry for minutes);
# a user's own settings win.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")


def experiment_name(settings: Settings, target: str) -> str:
    return f"{settings.mlflow.experiment_prefix}-{target}"


def registered_model_name(target: str) -> str:
    return f"china-trade-{target}"


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


@contextmanager
def _mlflow(settings: Settings) -> Iterator[Any]:
    """Point MLflow at the configured store; map its failures to TrackingError."""
    import logging
    import warnings

    import mlflow
    from mlflow.exceptions import MlflowException

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="mlflow")
    warnings.filterwarnings("ignore", message=".*CloudPickle.*")
    warnings.filterwarnings("ignore", message="Failed to infer signature")
    warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")
    uri = settings.mlflow.tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield mlflow
    except TrackingError:
        raise
    except (MlflowException, OSError, ConnectionError) as exc:
        raise TrackingError(f"MLflow at {uri} failed: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # requests/sqlalchemy errors surface under many names
        name = type(exc).__module__
        if name.startswith(("requests", "urllib3", "sqlalchemy", "mlflow")):
            raise TrackingError(f"MLflow at {uri} failed: {type(exc).__name__}: {exc}") from exc
        raise


def _experiment_id(mlflow: Any, settings: Settings, target: str) -> str:
    name = experiment_name(settings, target)
    exp = mlflow.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = (settings.mlflow.artifact_location / target).resolve()
    return mlflow.create_experiment(
        name,
        artifact_location=location.as_uri()
        if not settings.mlflow.tracking_uri.startswith("http")
        else None,
    )


def log_backtest(
    settings: Settings,
    target: str,
    frame: pd.DataFrame,
    metrics: pd.DataFrame,
    *,
    params: dict[str, Any],
    tags: dict[str, str],
    consensus: pd.Series | None = None,
    parent_run_id: str | None = None,
) -> str:
    """A parent run for the backtest and a child run per model with its metrics, its rows
    and plots. Returns the parent run id."""
    from forecasting.plots import forecast_vs_actual_png, residuals_png

    with _mlflow(settings) as mlflow, tempfile.TemporaryDirectory() as tmp:
        exp = _experiment_id(mlflow, settings, target)
        tmpdir = Path(tmp)
        nested = parent_run_id is not None
        with mlflow.start_run(
            experiment_id=exp,
            run_name=f"backtest {target}",
            nested=nested,
            parent_run_id=parent_run_id,
        ) as parent:
            mlflow.set_tags({**tags, "kind": "backtest", "target": target})
            mlflow.log_params({k: _param(v) for k, v in params.items()})
            path = tmpdir / f"backtest_{target}.csv"
            frame.to_csv(path, index=False)
            mlflow.log_artifact(str(path))
            mpath = tmpdir / f"metrics_{target}.csv"
            metrics.to_csv(mpath)
            mlflow.log_artifact(str(mpath))
            for model, rows in frame.groupby("model", sort=False):
                with mlflow.start_run(experiment_id=exp, run_name=f"{model}", nested=True):
                    mlflow.set_tags({"kind": "backtest-model", "model": model, "target": target})
                    m = metrics.loc[model]
                    mlflow.log_metrics({k: float(v) for k, v in m.items() if pd.notna(v)})
                    d = tmpdir / model
                    d.mkdir()
                    rows.to_csv(d / "backtest_rows.csv", index=False)
                    forecast_vs_actual_png(
                        rows,
                        f"{target} · {model}: forecast vs actual",
                        d / "forecast_vs_actual.png",
                        consensus,
                    )
                    residuals_png(rows, f"{target} · {model}", d / "residuals.png")
                    errs = rows[rows["error"].notna()]
                    if not errs.empty:
                        errs.to_csv(d / "failures.csv", index=False)
                    mlflow.log_artifacts(str(d))
            return parent.info.run_id


def register_final_models(
    settings: Settings,
    target: str,
    finals: Mapping[str, tuple[Any, pd.DataFrame | None]],
    *,
    trailing_mae: Mapping[str, float],
    champion: str,
    data_fingerprint: str,
    parent_run_id: str | None = None,
) -> dict[str, str]:
    """Log each model of ``finals`` ({alias: (forecaster fitted on all data, its exog)}) as a
    pyfunc and register it under ``china-trade-<target>``, in that order; ``champion`` takes
    the ``champion`` alias. One MLflow connection and one registry query for them all.

    Idempotent: a version of the same model on the same data fingerprint is reused, not
    registered again. Returns {alias: version}.
    """
    from forecasting.pyfunc_model import TradeForecastModel

    name = registered_model_name(target)
    out: dict[str, str] = {}
    with _mlflow(settings) as mlflow:
        client = mlflow.MlflowClient()
        registered = _versions_on(client, name, data_fingerprint)
        exp: str | None = None
        for model_alias, (forecaster, exog) in finals.items():
            version = registered.get(model_alias)
            if version is None:
                exp = exp or _experiment_id(mlflow, settings, target)
                with mlflow.start_run(
                    experiment_id=exp,
                    run_name=f"final {model_alias}",
                    nested=parent_run_id is not None,
                    parent_run_id=parent_run_id,
                ):
                    mlflow.set_tags(
                        {
                            "kind": "final-model",
                            "model": model_alias,
                            "target": target,
                            "data_fingerprint": data_fingerprint,
                        }
                    )
                    mlflow.log_metric("trailing_mae_36", trailing_mae[model_alias])
                    with contextlib.redirect_stderr(io.StringIO()):  # MLflow prints per version
                        info = mlflow.pyfunc.log_model(
                            name="model",
                            python_model=TradeForecastModel(forecaster, target, exog),
                            pip_requirements=_requirements(),
                            registered_model_name=name,
                            await_registration_for=0,
                        )
                version = str(info.registered_model_version)
                client.set_model_version_tag(name, version, "model", model_alias)
                client.set_model_version_tag(name, version, "data_fingerprint", data_fingerprint)
            mae = f"{trailing_mae[model_alias]:.4f}"
            client.set_model_version_tag(name, version, "trailing_mae_36", mae)
            if model_alias == champion:
                client.set_registered_model_alias(name, "champion", version)
            out[model_alias] = version
    return out


def _versions_on(client: Any, name: str, fingerprint: str) -> dict[str, str]:
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return {}
    out: dict[str, str] = {}
    for v in versions:
        if v.tags.get("data_fingerprint") == fingerprint and "model" in v.tags:
            out.setdefault(v.tags["model"], str(v.version))  # the first match, as searched
    return out


def log_job_run(
    settings: Settings,
    target: str,
    *,
    run_name: str,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    artifacts: dict[str, Path],
    tables: dict[str, pd.DataFrame] | None = None,
) -> str:
    """One run (a forecast, a score, a job) with params, metrics, tags, files and tables."""
    with _mlflow(settings) as mlflow, tempfile.TemporaryDirectory() as tmp:
        exp = _experiment_id(mlflow, settings, target)
        with mlflow.start_run(experiment_id=exp, run_name=run_name) as run:
            mlflow.set_tags(tags)
            if params:
                mlflow.log_params({k: _param(v) for k, v in params.items()})
            if metrics:
                mlflow.log_metrics({k: float(v) for k, v in metrics.items() if pd.notna(v)})
            for name, path in artifacts.items():
                mlflow.log_artifact(str(path), artifact_path=name or None)
            for name, table in (tables or {}).items():
                p = Path(tmp) / name
                table.to_csv(p, index=False)
                mlflow.log_artifact(str(p))
            return run.info.run_id


def _param(v: Any) -> str:
    text = ",".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
    return text[:500]


def _requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    reqs = []
    for pkg in ("china-trade-forecasting", "pandas", "statsmodels", "prophet", "mlflow"):
        try:
            reqs.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return reqs
