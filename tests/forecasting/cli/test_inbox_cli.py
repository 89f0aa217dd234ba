"""The inbox through ``forecasting schedule run-now data-inbox``, with real files and a real
SQLite store: valid files imported and moved to processed/, a bad one to rejected/ with its
errors and nothing written, a half-written one left; a new release scored at once."""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import pandas as pd

from forecasting.config import load_settings
from forecasting.jobs import data_inbox_job
from forecasting.scheduler import EventLog
from forecasting.service import open_service

OLD = time.time() - 600


def _drop(inbox: Path, name: str, text: str) -> Path:
    """A file as a finished copy leaves it (settled: written a while ago)."""
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (OLD, OLD))
    return path


def _events(settings) -> list[dict]:  # noqa: ANN001
    return EventLog.for_state_dir(settings.service.state_dir, echo=False).read()


def test_run_now_imports_rejects_and_leaves_half_written_files(fast_project: Path, cli) -> None:
    settings = load_settings()
    inbox = settings.data.inbox
    assert inbox == settings.service.state_dir / "inbox"
    svc = open_service(settings)
    obs_before = svc.observations.frame()
    _drop(inbox, "kr_exports_yoy.csv", "period,value,unit,source\n2026-10,12.5,% y/y,feed\n")
    _drop(
        inbox,
        "polls.csv",
        "target,period,consensus,source,n_economists,polled_on,note\n"
        "exports_yoy,2026-11,15.5,reuters,30,2026-12-02,\n",
    )
    _drop(
        inbox,
        "release.csv",
        "series,period,value,released,source\n"
        "imports_yoy,2026-09,7.5,2026-10-13,GACC\n"
        "exports_yoy,2026-09,seven,2026-10-13,GACC\n",
    )
    part = _drop(inbox, "late.csv.part", "series,period,value,rel")

    result = cli("schedule", "run-now", "data-inbox")
    assert result.code == 0, result.stderr
    assert "data-inbox: done" in result.stdout
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [
        "kr_exports_yoy.csv",
        "polls.csv",
    ]
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "release.csv",
        "release.csv.errors.txt",
    ]
    errors = (inbox / "rejected" / "release.csv.errors.txt").read_text(encoding="utf-8")
    assert "nothing was written" in errors
    assert "line 3, column 'value': not a number" in errors and "(value 'seven')" in errors
    assert part.exists() and sorted(p.name for p in inbox.iterdir() if p.is_file()) == [
        "late.csv.part"
    ]
    # the store: the single-series row and the poll, and nothing of the rejected file
    svc = open_service(settings)
    after = svc.observations.frame()
    new = after.merge(obs_before, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"]
    assert new[["series", "period", "value"]].values.tolist() == [
        ["kr_exports_yoy", "2026-10", 12.5]
    ]
    assert new["released"].tolist() == [date(2026, 11, 1)]  # Korea's release rule
    assert svc.consensus.value("exports_yoy", "2026-11") == 15.5
    # one event per file, then what is still overdue
    events = [e for e in _events(settings) if e["job_id"] == "data-inbox"]
    kinds = [e["event"] for e in events]
    assert kinds.count("imported") == 2 and kinds.count("rejected") == 1
    assert kinds.count("overdue") == 1 and kinds[-1] == "succeeded"
    rejected = next(e for e in events if e["event"] == "rejected")
    assert rejected["detail"].startswith("release.csv -> rejected/release.csv.errors.txt")

    # the copy finishes: renamed into place, the next run takes it; a run with nothing to
    # take writes no file event
    part.rename(inbox / "late.csv")
    (inbox / "late.csv").write_text(
        "series,period,value,released,source\nimports_yoy,2026-09,7.5,2026-10-13,GACC\n",
        encoding="utf-8",
    )
    os.utime(inbox / "late.csv", (OLD, OLD))
    assert cli("schedule", "run-now", "data-inbox").code == 0
    assert (inbox / "processed" / "late.csv").exists()
    n_events = len(_events(settings))
    assert cli("schedule", "run-now", "data-inbox").code == 0
    assert [e["event"] for e in _events(settings)[n_events:]] == ["started", "succeeded"]


def test_a_new_release_is_scored_at_once(fast_project: Path) -> None:
    settings = load_settings()
    svc = open_service(settings)
    svc.ledger.append(
        pd.DataFrame(
            {
                "target": ["exports_yoy", "imports_yoy"],
                "period": ["2026-09"] * 2,
                "as_of": [date(2026, 10, 10)] * 2,
                "model": ["naive"] * 2,
                "yhat": [10.0, 20.0],
                "consensus": [5.0, None],
            }
        ),
        job_id="t",
        origin="pre-release",
    )
    _drop(
        settings.data.inbox,
        "gacc-2026-09.csv",
        "series,period,value,released,source\n"
        "exports_yoy,2026-09,8.3,2026-10-13,GACC\n"
        "imports_yoy,2026-09,7.5,2026-10-13,GACC\n"
        "balance_usd_bn,2026-09,90.5,2026-10-13,GACC\n",
    )
    assert data_inbox_job(today=date(2026, 12, 3)) == 1
    events = _events(settings)
    imported = next(e for e in events if e["event"] == "imported")
    assert "first release of" in imported["detail"] and "exports_yoy 2026-09" in imported["detail"]
    scored = [e for e in events if e["event"] == "scored"]
    assert [(e["job_id"], e["detail"]) for e in scored] == [
        ("post-release:2026-09", "scored 2 forecast(s) at once: the inbox brought the release")
    ]
    # the score is in MLflow: a score run for each target's release
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=settings.mlflow.tracking_uri)
    exp = client.get_experiment_by_name("china-trade-exports_yoy")
    runs = client.search_runs([exp.experiment_id], "tags.kind = 'score'")
    assert len(runs) == 1 and runs[0].data.metrics
    # a file with revisions only (no first release) scores nothing
    _drop(
        settings.data.inbox,
        "revision.csv",
        "series,period,value,released,source\nexports_yoy,2026-09,8.4,2026-11-07,GACC\n",
    )
    assert data_inbox_job(today=date(2026, 12, 3)) == 1
    assert len([e for e in _events(settings) if e["event"] == "scored"]) == 1
    assert json.loads(json.dumps(_events(settings)))  # the log stays JSON lines
