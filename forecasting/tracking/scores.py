"""Comparisons with the consensus to MLflow: ``compare`` scoreboards and post-release scores."""

from __future__ import annotations

from typing import Any

from forecasting.config import Settings
from forecasting.tracking._run import BOARD_METRICS, Run, board_metrics, headline_model
from forecasting.tracking._store import connected, experiment_id, run_name

__all__ = ["log_compare", "log_score"]


def log_compare(settings: Settings, result: Any, *, backtest_run_id: str | None = None) -> str:
    """A run for a :class:`~forecasting.usecases.CompareResult`: the scoreboard (CSV and PNG),
    each model's comparison as a child run; no champion. Returns the run id."""
    from forecasting.plots import scoreboard_png

    r = result
    scope = f"{r.start}..{r.end}"
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        exp = experiment_id(mlflow, settings, r.target)
        with Run(client, exp, run_name("compare", r.target, scope)) as run:
            models = [m for m in r.board.index if m != "consensus"]
            head = headline_model(models) if models else None
            run.log(
                params={
                    "target": r.target,
                    "start": r.start,
                    "end": r.end,
                    "periods": len(r.periods),
                    "models": models,
                    "data_fingerprint": r.fingerprint,
                    **({"backtest_run_id": backtest_run_id} if backtest_run_id else {}),
                },
                metrics={
                    **({"mae": r.board.loc[head, "mae"]} if head else {}),
                    **(board_metrics(r.board, head) if head else {}),
                    "n_polls": len(r.periods),
                },
                tags={"kind": "compare", "target": r.target, "range": scope},
            )
            run.table(f"scoreboard_{r.target}.csv", r.board, index=True)
            run.table(f"compared_rows_{r.target}.csv", r.frame)
            scoreboard_png(
                r.board, f"{r.target} {scope}: models vs consensus", run.file("scoreboard.png")
            )
            if r.reliability:
                from forecasting.scoring import reliability_png

                shown = {m: t for m, t in r.reliability.items() if m in (head, models[0])}
                title = f"{r.target} {scope}: P(beat) reliability"
                reliability_png(shown, run.file("reliability.png"), title)
                for model, table in r.reliability.items():
                    run.table(f"reliability/{model}.csv", table)
            for model in models:
                with Run(client, exp, f"{model} · {run.name}", run.id) as child:
                    child.log(
                        metrics={
                            "mae": r.board.loc[model, "mae"],
                            "rmse": r.board.loc[model, "rmse"],
                            "cov80": r.board.loc[model, "cov80"],
                            "cov95": r.board.loc[model, "cov95"],
                            **board_metrics(r.board, model),
                        },
                        tags={"kind": "compare-model", "model": model, "target": r.target},
                    )
        return run.id


def log_score(settings: Settings, result: Any) -> dict[str, str]:
    """A run per target for a :class:`~forecasting.usecases.ScoreResult`: each model's last
    forecast against the actual and the consensus. Returns {target: run id}."""
    out: dict[str, str] = {}
    with connected(settings) as mlflow:
        client = mlflow.MlflowClient()
        for target in result.actuals:
            last = result.latest(target)
            if last.empty:
                continue
            board = result.board(target)
            exp = experiment_id(mlflow, settings, target)
            with Run(client, exp, run_name("score", target, result.period)) as run:
                metrics: dict[str, float] = {"actual": result.actuals[target]}
                for rec in last.itertuples():
                    metrics[f"abs_error.{rec.model}"] = rec.abs_error
                    for k, v in board_metrics(board, rec.model).items():
                        if k in BOARD_METRICS:
                            metrics[f"{k}.{rec.model}"] = v
                if board is not None:
                    metrics["consensus_mae"] = board.loc["consensus", "mae"]
                run.log(
                    params={"target": target, "period": result.period},
                    metrics=metrics,
                    tags={"kind": "score", "target": target, "target_period": result.period},
                )
                run.table(
                    f"score_{target}_{result.period}.csv",
                    result.scored[result.scored["target"] == target],
                )
            out[target] = run.id
    return out
