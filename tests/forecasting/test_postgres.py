"""The service store on a real PostgreSQL server, by configuration alone.

Starts a throw-away cluster with the machine's ``initdb``/``pg_ctl`` (as the ``postgres`` user
when the tests run as root); skipped where no PostgreSQL server binaries exist.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import DataError


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stated(frame):  # noqa: ANN001, ANN201
    """The figures as reported (the service also keeps derived USD levels, ``derived:``)."""
    return frame[~frame["source"].str.startswith("derived:")]


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server binaries on this machine")
    pytest.importorskip("psycopg2")
    base = tmp_path_factory.mktemp("pg")
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("runuser"):
            pytest.skip("running as root without runuser")
        try:
            shutil.chown(base, "postgres")
            shutil.chown(sock, "postgres")
        except (LookupError, PermissionError):
            pytest.skip("no postgres user to run the server as")
        base.chmod(0o755)
        for parent in base.parents:  # the server user must reach its folders
            if str(parent).startswith("/tmp/"):
                parent.chmod(parent.stat().st_mode | 0o011)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*prefix, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    opts = f"-p {port} -k {sock} -c listen_addresses=''"
    subprocess.run(
        [*prefix, pg_ctl, "-D", str(data), "-o", opts, "-w", "-l", str(base / "log"), "start"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )


def test_store_on_postgres(postgres_url: str, project: Path, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("FORECASTING_DATABASE_URL", postgres_url)
    from forecasting.config import load_settings
    from forecasting.service import open_service

    svc = open_service(load_settings())
    assert svc.engine.dialect.name == "postgresql"
    info = svc.observations.information_set(date(2026, 1, 15))
    row = info.query("series == 'exports_yoy' and period == '2025-12'")
    assert row["value"].item() == 6.6 and row["released"].item() == date(2026, 1, 14)
    assert svc.consensus.value("exports_yoy", "2025-12") == 3.1

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "series,period,value,released,source\n"
        "exports_yoy,2026-06,1.0,2026-07-14,ok\nexports_yoy,2026-07,x,2026-08-07,x\n"
    )
    before = svc.observations.frame()
    with pytest.raises(DataError, match="line 3"):
        svc.observations.import_csv(bad, today=date(2026, 11, 29))
    pd.testing.assert_frame_equal(svc.observations.frame(), before)

    svc.ledger.append(
        pd.DataFrame(
            {
                "target": ["exports_yoy"],
                "period": ["2026-11"],
                "as_of": [date(2026, 11, 29)],
                "model": ["naive"],
                "yhat": [5.0],
            }
        ),
        job_id="pg",
        origin="test",
    )
    assert svc.ledger.frame()["yhat"].tolist() == [5.0]


@pytest.mark.slow
def test_many_processes_bootstrap_a_fresh_postgres_store_once(
    postgres_url: str, project: Path, monkeypatch, tmp_path
) -> None:
    import psycopg2
    import sqlalchemy as sa

    from forecasting.snapshot_loader import snapshot_frame
    from tests.forecasting.test_store_concurrency import IMPORT, OPEN, _race

    url = sa.make_url(postgres_url)
    admin = psycopg2.connect(dbname="postgres", user="postgres", **_socket(url))
    admin.autocommit = True
    admin.cursor().execute("CREATE DATABASE fresh")
    admin.close()
    fresh = url.set(database="fresh").render_as_string(hide_password=False)
    monkeypatch.setenv("FORECASTING_DATABASE_URL", fresh)

    results = _race(OPEN, 8, tmp_path / "go")
    assert sum(r["loaded"] for r in results) == 1
    from forecasting.config import load_settings
    from forecasting.service import open_service

    svc = open_service(load_settings())
    stored = stated(svc.observations.frame())
    assert len(stored) == len(snapshot_frame())
    assert not stored.duplicated(["series", "period", "released"]).any()

    f = tmp_path / "rows.csv"
    f.write_text(
        "series,period,value,released,source\n"
        "exports_yoy,2026-09,7.5,2026-10-13,x\nimports_yoy,2026-09,-1.2,2026-10-13,x\n"
    )
    imported = _race(IMPORT, 4, tmp_path / "go2", str(f))
    assert sorted(r["added"] for r in imported) == [0, 0, 0, 2]


def _socket(url) -> dict:  # noqa: ANN001
    return {"host": url.query["host"], "port": int(url.query["port"])}
