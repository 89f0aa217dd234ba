"""``forecast``, ``ledger``, ``registry predict``, ``compare``, ``score`` and ``backtest``,
in-process: what each command records and says."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd


def test_forecast_records_the_ledger_and_the_run_at_once(fast_project: Path, cli) -> None:
    res = cli("forecast", "--target", "exports_yoy", "--json")
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["target"] == "exports_yoy" and out["ensemble"]["model"] == "ensemble"
    assert out["missing_periods"][0] == "2026-09" and not out["look_back"]
    assert out["ledger_job_id"] == "forecast:2026-11:v1:exports_yoy" and out["ledger_rows"] == 5
    from forecasting.config import load_settings
    from forecasting.service import open_service

    svc = open_service(load_settings())
    ledger = svc.ledger.frame()
    assert set(ledger["mlflow_run_id"]) == {out["mlflow_run_id"]}
    run = mlflow.MlflowClient(tracking_uri=svc.settings.mlflow.tracking_uri).get_run(
        out["mlflow_run_id"]
    )
    assert run.data.tags["job_id"] == out["ledger_job_id"] and run.data.tags["kind"] == "forecast"
    shown = cli("forecast", "--target", "imports_yoy", "--as-of", "2026-01-13")
    assert shown.code == 0, shown.stderr
    assert "consensus: +0.9" in shown.stdout and "P(beat)" in shown.stdout
    assert "not recorded in the ledger" in shown.stdout and "MLflow run " in shown.stdout
    assert "forecast ledger (5 rows)" in cli("ledger").stdout


def test_forecast_refusals(project: Path, cli) -> None:
    done = cli("forecast", "--target", "exports_yoy", "--period", "2025-12")
    assert done.code == 3 and "already released on 2026-01-14" in done.stderr
    assert "+6.6" in done.stderr
    unknown = cli("forecast", "--target", "exports_yoy", "--models", "nosuch")
    assert unknown.code == 4 and "known models" in unknown.stderr
    target = cli("forecast", "--target", "gdp")
    assert target.code == 3 and "unknown target 'gdp'" in target.stderr
    early = cli("score", "--period", "2026-09")
    assert early.code == 3 and "not in the store yet" in early.stderr


def test_registry_predict_gives_the_published_figure(published, monkeypatch, cli) -> None:
    published.env(monkeypatch)
    run = published.job.runs[0]
    res = cli("registry", "predict", "--target", run.target, "--period", run.forecast.period)
    assert res.code == 0, res.stderr
    printed = run.forecast.rows.set_index("model").loc[run.champion, "yhat"]
    line = next(ln for ln in res.stdout.splitlines() if run.forecast.period in ln)
    assert run.champion in line and f"{printed:.2f}" in line


def test_compare_json_and_its_run(fast_project: Path, tmp_path: Path, cli) -> None:
    polls = tmp_path / "later.csv"
    polls.write_text(
        "period,indicator,consensus,poll,n_economists,actual,release_date,url,note\n"
        "2024-03,exports_yoy,-2.3,reuters,,,2024-04-12,u,\n"
        "2024-04,exports_yoy,1.0,reuters,,,2024-05-09,u,\n"
        "2024-05,exports_yoy,5.7,reuters,,,2024-06-07,u,\n"
    )
    assert cli("consensus", "import", str(polls)).code == 0
    res = cli(
        "compare",
        "--target",
        "exports_yoy",
        "--start",
        "2024-01",
        "--end",
        "2024-12",
        "--models",
        "naive,ridge_ar",
        "--json",
    )
    assert res.code == 0, res.stderr
    out = json.loads(res.stdout)
    board = {r["model"]: r for r in out["scoreboard"]}
    assert set(board) == {"naive", "ridge_ar", "consensus"}
    # consensus errors: |-2.3 - -7.5|, |1.0 - 1.5|, |5.7 - 7.6|
    assert abs(board["consensus"]["mae"] - (5.2 + 0.5 + 1.9) / 3) < 1e-9
    assert board["naive"]["n"] == 3 and out["mlflow_run_id"]


def test_backtest_writes_the_csv_and_logs_a_run(fast_project: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "bt.csv"
    res = cli(
        "backtest",
        "--target",
        "exports_yoy",
        "--start",
        "2025-01",
        "--end",
        "2025-04",
        "--models",
        "naive,ridge_ar,ensemble",
        "--out",
        str(out),
        "--jobs",
        "1",
    )
    assert res.code == 0, res.stderr
    frame = pd.read_csv(out)
    assert set(frame["model"]) == {"naive", "ridge_ar", "ensemble"} and len(frame) == 9
    assert "MLflow run " in res.stdout and "champion" not in res.stdout
    neg = cli(
        "backtest",
        "--target",
        "exports_yoy",
        "--start",
        "2024-01",
        "--end",
        "2024-06",
        "--warmup",
        "-1",
    )
    assert neg.code == 3 and "--warmup: -1 is negative" in neg.stderr
    bad = cli(
        "backtest", "--target", "exports_yoy", "--start", "2024-01", "--end", "2024-06",
        "--plots", "some",
    )  # fmt: skip
    assert bad.code == 2 and "--plots: 'some' is not one of headline, all, none" in bad.stderr
