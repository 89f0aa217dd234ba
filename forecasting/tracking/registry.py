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

    Idempotent: a version of the same model, data, ``as_of`` and period is reused.
    """
    from forecasting.tracking.pyfunc import PublishedPyfunc, signature

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
        existing = _versions_with_key(client, name, key)
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
            version = existing.get(alias)
            if version is None:
                run = mlflow.start_run(
                    experiment_id=exp,
                    run_name=run_name("register", fc.target, fc.period, fc.as_of) + f" · {alias}",
                    nested=parent_run_id is not None,
                    parent_run_id=parent_run_id,
                    tags={"kind": "registered-model", **current_owner_tags()},
                )
                OPEN_RUNS.add(run.info.run_id)
                with run, contextlib.redirect_stderr(io.StringIO()):
                    mlflow.set_tags({"kind": "registered-model", **tags})
                    if alias in recent.index:
                        mlflow.log_metric("trailing_mae_36", float(recent[alias]))
                    info = mlflow.pyfunc.log_model(
                        name="model",
                        python_model=PublishedPyfunc(fc.published(alias)),
                        signature=signature(),
                        pip_requirements=_requirements(),
                        registered_model_name=name,
                        await_registration_for=0,
                    )
                OPEN_RUNS.discard(run.info.run_id)
                version = str(info.registered_model_version)
                client.update_model_version(name, version, description=_description(fc, alias))
            for k, v in tags.items():
                client.set_model_version_tag(name, version, k, v)
            versions[alias] = version
        if ranked:
            client.set_registered_model_alias(name, CHAMPION, versions[ranked[0]])
    return Registration(name, versions, ranked[0] if ranked else None)


def _description(fc: Any, alias: str) -> str:
    row = fc.rows[fc.rows["model"] == alias].iloc[0]
    return (
        f"{alias} as published for {fc.target} {fc.period} (covers {fc.covers}), with the "
        f"figures released before {fc.as_of}: {row['yhat']:+.2f} "
        f"(80% {row['yhat_lo_80']:+.2f} … {row['yhat_hi_80']:+.2f}). predict() takes a frame "
        "with 'period' (YYYY-MM) and an optional 'as_of' (YYYY-MM-DD) and returns the forecast "
        "frame."
    )


def _versions_with_key(client: Any, name: str, key: str) -> dict[str, str]:
    from mlflow.exceptions import MlflowException

    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return {}
    out: dict[str, str] = {}
    for v in versions:
        if v.tags.get("published_key") == key and "model" in v.tags:
            out.setdefault(v.tags["model"], str(v.version))
    return out


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
    from importlib.metadata import PackageNotFoundError, version

    reqs = []
    for pkg in ("china-trade-forecasting", "pandas", "statsmodels", "prophet", "mlflow"):
        try:
            reqs.append(f"{pkg}=={version(pkg)}")
        except PackageNotFoundError:
            continue
    return reqs
