"""Store faults through the entry point: one line, the documented exit code, nothing written."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.forecasting.test_import_properties import _sqlite_bytes

OBS = "series,period,value,released,source\n"


def _hold_write_lock(db: Path, seconds: float, ready: threading.Event) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    ready.set()
    time.sleep(seconds)
    con.execute("COMMIT")
    con.close()


def test_a_lock_held_longer_than_the_busy_timeout_exits_7(
    service, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecasting.db

    monkeypatch.setattr(forecasting.db, "BUSY_TIMEOUT_SECONDS", 0.5)
    db = Path(service.settings.service.database_url.removeprefix("sqlite:///"))
    f = tmp_path / "new.csv"
    f.write_text(OBS + "exports_yoy,2026-09,7.5,2026-10-13,x\n", encoding="utf-8")
    before = _sqlite_bytes(db)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 3.0, ready))
    holder.start()
    ready.wait()
    try:
        res = cli("data", "import", str(f))
    finally:
        holder.join()
    assert res.code == 7, res.stderr
    assert res.stderr.startswith("error: service store sqlite:///")
    assert "another process held the store's lock for more than 0.5 s" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert _sqlite_bytes(db) == before
    assert cli("data", "import", str(f)).code == 0  # free again
