"""A store that cannot be used is a one-line StoreError (a bad URL a ConfigError), never a
traceback; passwords never appear in a message."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from forecasting.errors import ConfigError, StoreError
from tests.conftest import run_cli

TODAY = date(2026, 11, 29)
OBS = "series,period,value,released,source\n"


def _db(settings) -> Path:  # noqa: ANN001
    return Path(settings.service.database_url.removeprefix("sqlite:///"))


def _one_line(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_garbage_store_file_is_a_store_error(settings) -> None:
    from forecasting.service import open_service

    db = _db(settings)
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(StoreError) as err:
        open_service(settings)
    msg = _one_line(err.value)
    assert str(db) in msg and "not a readable SQLite database" in msg


def test_a_truncated_store_file_is_a_store_error(settings) -> None:
    from forecasting.service import open_service

    svc = open_service(settings)
    svc.engine.dispose()  # checkpoints the WAL into the file
    db = _db(settings)
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])
    with pytest.raises(StoreError) as err:
        open_service(settings).observations.frame()
    assert "corrupt or truncated" in _one_line(err.value)


def test_cli_exit_code_for_a_garbage_store(project: Path) -> None:
    db = project / ".state" / "forecasting.db"
    db.parent.mkdir(exist_ok=True)
    db.write_bytes(b"\x00garbage" * 100)
    res = run_cli("data", "show")
    assert res.returncode == 7, res.stderr
    assert "Traceback" not in res.stderr and "not a readable SQLite database" in res.stderr


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("foo://user:hunter2@host/db", "unsupported scheme 'foo'"),
        ("mysql://user:hunter2@host/db", "unsupported scheme 'mysql'"),
        ("postgresql+nosuch://user:hunter2@host/db", "unknown driver"),
        ("not a url hunter2", "is not a database URL"),
    ],
)
def test_a_bad_store_url_is_a_config_error_with_the_password_masked(
    project: Path, monkeypatch: pytest.MonkeyPatch, url: str, needle: str
) -> None:
    from forecasting.config import load_settings

    monkeypatch.setenv("FORECASTING_DATABASE_URL", url)
    with pytest.raises(ConfigError) as err:
        load_settings()
    msg = _one_line(err.value)
    assert msg.startswith("FORECASTING_DATABASE_URL: ") and needle in msg
    if "://" in url:
        assert "hunter2" not in msg and "user:***@" in msg


def test_a_bad_url_in_the_file_names_the_key(project: Path) -> None:
    from forecasting.config import load_settings

    path = project / "configs" / "forecasting.toml"
    text = path.read_text()
    start = text.index("database_url")
    end = text.index("\n", start)
    path.write_text(text[:start] + 'database_url = "oracle://a:b@c/d"' + text[end:])
    with pytest.raises(ConfigError, match=rf"{path}: service.database_url: .*'oracle'"):
        load_settings()


def test_an_unreachable_postgresql_is_a_store_error_with_the_password_masked() -> None:
    pytest.importorskip("psycopg2")
    from forecasting.db import make_engine

    url = f"postgresql+psycopg2://user:hunter2@127.0.0.1:{_free_port()}/db"
    with pytest.raises(StoreError) as err:
        make_engine(url)
    msg = _one_line(err.value)
    assert "cannot be reached" in msg and "hunter2" not in msg and "user:***@" in msg


def test_a_bare_postgresql_url_uses_the_installed_driver() -> None:
    pytest.importorskip("psycopg2")
    from forecasting.db import store_url

    assert store_url("postgresql://u:p@h/d").get_dialect().driver in ("psycopg", "psycopg2")


def test_a_store_that_cannot_be_written_still_reads(service, tmp_path: Path) -> None:
    from forecasting.db import make_engine
    from forecasting.observations import ObservationStore

    db = _db(service.settings)
    service.engine.dispose()
    # the store opened read-only, as a read-only folder or file would leave it
    ro = make_engine(f"sqlite:///file:{db}?mode=ro&uri=true")
    store = ObservationStore(ro)
    assert len(store.frame()) == len(service.observations.frame())
    f = tmp_path / "new.csv"
    f.write_text(OBS + "exports_yoy,2026-09,7.5,2026-10-13,x\n")
    with pytest.raises(StoreError) as err:
        store.import_csv(f, today=TODAY)
    assert "cannot be written" in _one_line(err.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_state_folder_is_a_store_error(settings) -> None:
    from forecasting.service import open_service

    folder = _db(settings).parent
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreError) as err:
            open_service(settings)
        _one_line(err.value)
    finally:
        folder.chmod(0o755)


def _hold_write_lock(db: Path, seconds: float, ready: threading.Event) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    ready.set()
    time.sleep(seconds)
    con.execute("COMMIT")
    con.close()


def test_a_lock_held_shorter_than_the_busy_timeout_is_waited_for(service, tmp_path: Path) -> None:
    ready = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(_db(service.settings), 6.0, ready))
    holder.start()  # longer than sqlite3's default 5 s
    ready.wait()
    f = tmp_path / "new.csv"
    f.write_text(OBS + "exports_yoy,2026-09,7.5,2026-10-13,x\n")
    try:
        assert service.observations.import_csv(f, today=TODAY).added == 1
    finally:
        holder.join()


def test_a_lock_held_longer_than_the_busy_timeout_is_a_store_error(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecasting.db
    from forecasting.service import open_service

    open_service(settings).engine.dispose()
    monkeypatch.setattr(forecasting.db, "BUSY_TIMEOUT_SECONDS", 0.5)
    svc = open_service(settings)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(_db(settings), 3.0, ready))
    holder.start()
    ready.wait()
    f = tmp_path / "new.csv"
    f.write_text(OBS + "exports_yoy,2026-09,7.5,2026-10-13,x\n")
    try:
        with pytest.raises(StoreError) as err:
            svc.observations.import_csv(f, today=TODAY)
        assert "held the store's lock for more than 0.5 s" in _one_line(err.value)
    finally:
        holder.join()
    assert svc.observations.import_csv(f, today=TODAY).added == 1  # free again


def test_the_sqlite_store_runs_in_wal_mode_with_a_busy_timeout(service) -> None:
    with service.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
