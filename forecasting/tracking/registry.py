"""Registered models: every version is a model as a forecast published it.

:func:`register_published` logs each model of a :class:`~forecasting.usecases.ForecastResult`
as a pyfunc (:class:`~forecasting.tracking.pyfunc.PublishedPyfunc` over
:meth:`ForecastResult.published`) under ``<prefix>-<target>``, with the backtest run it was
scored in, its trailing MAE and MAE ratio to the consensus, the data fingerprint, a
description and a signature; the best trailing MAE takes the ``champion`` alias.
:func:`load_registered` loads one back (what ``forecasting registry predict`` calls).
"""

from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecasting.config import Settings
from forecasting.errors import TrackingError
from forecasting.tracking._run import OPEN_RUNS
from forecasting.tracking._store import (
    connected,
    current_owner_tags,
    experiment_id,
    registered_model_name,
    run_name,
)

__all__ = ["CHAMPION", "Registration", "load_registered", "register_published"]

CHAMPION = "champion"


@dataclass(frozen=True)
class Registration:
    """``versions``: {model alias: registered version}; ``champion``: the alias that took the
    champion alias (None if no model qualified)."""

    name: str
    versions: dict[str, str] = field(default_factory=dict)
    champion: str | None = None


def register_published(
    settings: Settings,
    fc: Any,
    backtest: Any,
    *,
    backtest_run_id: str | None,
    parent_run_id: str | None = None,
) -> Registration:
    """Register every model of forecast ``fc`` that forecast its period, ranked by trailing
    MAE in ``backtest`` (a :class:`~forecasting.usecases.BacktestResult` of the same data);
    the first takes the ``champion`` alias. A model that failed at a recent origin has no
    trailing MAE: it is registered but cannot be champion.

    Idempotent: a version of the same model, data, ``as_of`` and period is reused (its tags
    brought up to date).

    Cost: per new version one run, one ``log_model`` and one ``create_model_version`` carrying
    the tags and the description (no tag-by-tag writes, each a commit of the store).
    """
    name = registered_model_name(settings, fc.target)
    ok = fc.rows[fc.rows["yhat"].notna()]
    recent = backtest.trailing_mae
    ranked = backtest.ranked(list(ok["model"]))  # champion candidates: scored at every origin
    unranked = [m for m in ok["model"] if m not in ranked]
    if not ranked and not unranked:
        return Registration(name)
    board = backtest.board
    key = f"{fc.fingerprint}:{fc.as_of.isoformat()}:{fc.period}"
    versions: dict[str, str] = {}
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        found, existing = _versions_with_key(client, name, key)
        exp = experiment_id(mlflow, settings, fc.target)
        for alias in [*ranked, *unranked]:
            row = ok[ok["model"] == alias].iloc[0]
            tags = {
                "model": alias,
                "target": fc.target,
                "period": fc.period,
                "as_of": fc.as_of.isoformat(),
                "published_key": key,
                "data_fingerprint": fc.fingerprint,
                "backtest_run_id": backtest_run_id or "",
                "trailing_mae_36": f"{recent[alias]:.4f}" if alias in recent.index else "",
                "yhat": f"{row['yhat']:.4f}",
            }
            if board is not None and alias in board.index:
                tags["mae_ratio_consensus"] = f"{board.loc[alias, 'mae_ratio']:.4f}"
            reused = existing.get(alias)
            if reused is None:
                if not found:  # the first version of this name: the registered model first
                    _create_registered_model(client, name)
                    found = True
                metric = float(recent[alias]) if alias in recent.index else None
                run_id, model_id = _log_published(
                    mlflow, fc, alias, exp, tags, metric, parent_run_id
                )
                version = _create_version(client, name, run_id, model_id, tags, fc, alias)
            else:  # the same model, data, as_of and period: only the tags that changed
                version = str(reused.version)
                for k, v in tags.items():
                    if reused.tags.get(k) != v:
                        client.set_model_version_tag(name, version, k, v)
            versions[alias] = version
        if ranked:
            client.set_registered_model_alias(name, CHAMPION, versions[ranked[0]])
    return Registration(name, versions, ranked[0] if ranked else None)


def _log_published(
    mlflow: Any,
    fc: Any,
    alias: str,
    exp: str,
    tags: dict[str, str],
    trailing_mae: float | None,
    parent_run_id: str | None,
) -> tuple[str, str]:
    """One model as published, logged as a pyfunc in its own (nested) run, with every tag at
    the run's creation. Returns (run id, logged model id)."""
    from forecasting.tracking.pyfunc import PublishedPyfunc, signature

    run = mlflow.start_run(
        experiment_id=exp,
        run_name=run_name("register", fc.target, fc.period, fc.as_of) + f" · {alias}",
        nested=parent_run_id is not None,
        parent_run_id=parent_run_id,
        tags={"kind": "registered-model", **current_owner_tags(), **tags},
    )
    OPEN_RUNS.add(run.info.run_id)
    with run, contextlib.redirect_stderr(io.StringIO()):
        if trailing_mae is not None:  # before log_model, which links it to the logged model
            mlflow.log_metric("trailing_mae_36", trailing_mae)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=PublishedPyfunc(fc.published(alias)),
            signature=signature(),
            pip_requirements=_requirements(),
        )
    OPEN_RUNS.discard(run.info.run_id)
    return run.info.run_id, info.model_id


def _create_registered_model(client: Any, name: str) -> None:
    """The registered model ``name``, unless another writer created it meanwhile."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise


def _create_version(
    client: Any,
    name: str,
    run_id: str,
    model_id: str,
    tags: dict[str, str],
    fc: Any,
    alias: str,
) -> str:
    """The version of logged model ``model_id``, created with its tags and description in one
    call, and linked back from the logged model (its ``mlflow.modelVersions`` tag), as
    ``log_model(registered_model_name=...)`` links it. Returns the version."""
    import json

    from mlflow.utils.mlflow_tags import MLFLOW_MODEL_VERSIONS

    mv = client.create_model_version(
        name,
        f"models:/{model_id}",
        run_id,
        tags=tags,
        description=_description(fc, alias),
        await_creation_for=0,
        model_id=model_id,
    )
    link = [{"name": mv.name, "version": mv.version}]
    client.set_logged_model_tags(model_id, {MLFLOW_MODEL_VERSIONS: json.dumps(link)})
    return str(mv.version)


def _description(fc: Any, alias: str) -> str:
    row = fc.rows[fc.rows["model"] == alias].iloc[0]
    return (
        f"{alias} as published for {fc.target} {fc.period} (covers {fc.covers}), with the "
        f"figures released before {fc.as_of}: {row['yhat']:+.2f} "
        f"(80% {row['yhat_lo_80']:+.2f} … {row['yhat_hi_80']:+.2f}). predict() takes a frame "
        "with 'period' (YYYY-MM) and an optional 'as_of' (YYYY-MM-DD) and returns the forecast "
        "frame."
    )


def _versions_with_key(client: Any, name: str, key: str) -> tuple[bool, dict[str, Any]]:
    """(whether ``name`` has any version, {model alias: its version published with ``key``})."""
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return False, {}
    out: dict[str, Any] = {}
    for v in versions:
        if v.tags.get("published_key") == key and "model" in v.tags:
            out.setdefault(v.tags["model"], v)
    return bool(versions), out


def load_registered(settings: Settings, target: str, alias: str = CHAMPION) -> Any:
    """The registered model ``<prefix>-<target>@alias`` as a pyfunc.

    Raises:
        TrackingError: no such model or alias, or MLflow unreachable.
    """
    name = registered_model_name(settings, target)
    with connected(settings) as mlflow:
        from mlflow.exceptions import MlflowException

        try:
            return mlflow.pyfunc.load_model(f"models:/{name}@{alias}")
        except MlflowException as exc:
            raise TrackingError(
                f"no registered model {name}@{alias}: run `forecasting run` first ({exc})"
            ) from exc


def predict_registered(
    settings: Settings, target: str, requests: pd.DataFrame, alias: str = CHAMPION
) -> pd.DataFrame:
    """Load ``<prefix>-<target>@alias`` and predict ``requests`` (``period``, ``as_of``)."""
    return load_registered(settings, target, alias).predict(requests)


def _requirements() -> list[str]:
    """The pinned requirements of a published model (the installed versions)."""
    return list(_pinned())


@functools.cache
def _pinned() -> tuple[str, ...]:
    """The installed versions, read once a process."""
    from importlib.metadata import PackageNotFoundError, version

    reqs = []
    for pkg in ("china-trade-forecasting", "pandas", "statsmodels", "prophet", "mlflow"):
        try:
            reqs.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return tuple(reqs)
