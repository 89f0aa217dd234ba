"""Many processes on one store: the first-use bootstrap and parallel imports of the same rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forecasting.snapshot_loader import snapshot_frame
from tests.conftest import REPO

GATE_WAIT = """
import json, os, sys, time
from datetime import date
from pathlib import Path
from forecasting.service import open_service
gate = Path(sys.argv[1])
Path(f"{gate}.ready.{os.getpid()}").touch()
while not gate.exists():
    time.sleep(0.002)
"""

OPEN = (
    GATE_WAIT
    + """
svc = open_service()
load = svc.snapshot_load
print(json.dumps({"loaded": load is not None, "added": load.added if load else 0,
                  "polls": load.consensus_added if load else 0}))
"""
)

IMPORT = (
    GATE_WAIT
    + """
svc = open_service()
r = svc.observations.import_csv(Path(sys.argv[2]), today=date(2026, 11, 29))
print(json.dumps({"added": r.added, "unchanged": r.unchanged}))
"""
)


def _race(code: str, n: int, gate: Path, *args: str) -> list[dict]:
    """Start ``n`` processes that each wait for ``gate`` and then run ``code``; open the gate
    once all are up; return what each printed (every one must exit 0)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(gate), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
            cwd=REPO,
        )
        for _ in range(n)
    ]
    deadline = time.monotonic() + 240
    while len(list(gate.parent.glob(f"{gate.name}.ready.*"))) < n:  # all imported, waiting
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.05)
    gate.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def stated(frame):  # noqa: ANN001, ANN201
    """The figures as reported (the service also keeps derived USD levels, ``derived:``)."""
    return frame[~frame["source"].str.startswith("derived:")]


@pytest.mark.slow
@pytest.mark.empty_store
def test_twelve_processes_starting_on_a_fresh_store_load_the_snapshot_once(
    settings, tmp_path: Path
) -> None:
    from forecasting.service import open_service

    results = _race(OPEN, 12, tmp_path / "go")
    assert sum(r["loaded"] for r in results) == 1
    snap = snapshot_frame()
    assert sum(r["added"] for r in results) == len(snap)
    svc = open_service(settings)
    stored = stated(svc.observations.frame())
    key = ["series", "period", "released"]
    assert not stored.duplicated(key).any()
    assert len(stored) == len(snap)
    assert len(svc.consensus.frame()) == sum(r["polls"] for r in results)


@pytest.mark.slow
def test_parallel_imports_of_the_same_rows_all_succeed_once(settings, tmp_path: Path) -> None:
    from forecasting.service import open_service

    open_service(settings).engine.dispose()  # bootstrapped: the race is the import alone
    f = tmp_path / "rows.csv"
    f.write_text(
        "series,period,value,released,source\n"
        "exports_yoy,2026-09,7.5,2026-10-13,x\n"
        "imports_yoy,2026-09,-1.2,2026-10-13,x\n"
        "balance_usd_bn,2026-09,110.5,2026-10-13,x\n"
    )
    results = _race(IMPORT, 4, tmp_path / "go", str(f))
    assert sorted(r["added"] for r in results) == [0, 0, 0, 3]
    assert sorted(r["unchanged"] for r in results) == [0, 3, 3, 3]
    stored = stated(open_service(settings).observations.frame())
    assert len(stored.query("period == '2026-09' and released.astype('str') == '2026-10-13'")) == 3
