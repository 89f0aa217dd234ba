"""The main job's wall time (not a test): cold, again with the same data, and after a release.

Each case runs :func:`forecasting.jobs.main_job` on a throw-away project (the repository's
configs, the bundled snapshot), in this process:

``cold``
    a new project: every origin of every target is fitted;
``again``
    the same project, the same day: every origin's inputs are unchanged (none refitted);
``before release``, ``after release``
    a second new project, first on the day before the latest release in the data, then on
    today: the job refits the one new origin per target (the monthly case).

For each it prints the seconds and, per target, the origins fitted and reused
(:mod:`forecasting.origin_cache`).

Usage: python benchmarks/job_speed.py [--models a,b] [--targets a,b] [--quick]

``--quick``: exports only, three fast models, a six-month window, one process (the test
suite runs it).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUICK_MODELS = ["naive", "seasonal_ratio", "ensemble"]


def _project(models: list[str] | None, quick: bool) -> Path:
    """A new project folder with the repository's configs (trimmed in quick mode)."""
    root = Path(tempfile.mkdtemp(prefix="job-bench-"))
    shutil.copytree(ROOT / "configs", root / "configs")
    cfg = root / "configs" / "forecasting.toml"
    text = cfg.read_text(encoding="utf-8")
    if models:
        listed = ", ".join(f'"{m}"' for m in models)
        text = re.sub(r"(?m)^default = \[.*\]$", f"default = [{listed}]", text)
    if quick:
        text = text.replace("recent_window = 36", "recent_window = 6")
        text = text.replace("jobs = 2", "jobs = 1")
    cfg.write_text(text, encoding="utf-8")
    return root


def _case(name: str, root: Path, today: date, targets: list[str]) -> dict[str, object]:
    from forecasting.config import load_settings
    from forecasting.jobs import main_job
    from forecasting.service import open_service

    svc = open_service(load_settings(root / "configs" / "forecasting.toml"))
    t0 = time.perf_counter()
    job = main_job(svc, today=today, targets=targets)
    seconds = time.perf_counter() - t0
    counts = {r.target: (r.backtest.fitted, r.backtest.reused) for r in job.runs}
    return {"case": name, "seconds": seconds, "counts": counts, "failures": list(job.failures)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default=None)
    parser.add_argument("--targets", default=None, help="default: every configured target")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    models = args.models.split(",") if args.models else None
    targets = args.targets.split(",") if args.targets else None
    if args.quick:
        models, targets = models or QUICK_MODELS, targets or ["exports_yoy"]
    for name in ("FORECASTING_DATABASE_URL", "MLFLOW_TRACKING_URI"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    from forecasting.config import load_settings
    from forecasting.service import open_service

    first = _project(models, args.quick)
    settings = load_settings(first / "configs" / "forecasting.toml")
    names = targets or list(settings.targets.names)
    svc = open_service(settings)
    latest = max(svc.observations.release_dates("exports_yoy").values())
    today = max(date.today(), latest + timedelta(days=1))
    second = _project(models, args.quick)
    rows = [
        _case("cold", first, today, names),
        _case("again", first, today, names),
        _case("before release", second, latest - timedelta(days=1), names),
        _case("after release", second, today, names),
    ]
    print(f"{'case':16s} {'seconds':>8s}  per target: fitted / reused origins")
    for row in rows:
        counts = row["counts"]
        assert isinstance(counts, dict)
        per = "  ".join(f"{t} {fitted}/{reused}" for t, (fitted, reused) in counts.items())
        print(f"{row['case']:16s} {row['seconds']:8.1f}  {per}")
        if row["failures"]:
            print(f"  failed: {', '.join(map(str, row['failures']))}")
    for root in (first, second):
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
