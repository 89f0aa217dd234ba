"""The bundled snapshot: its version, a fresh load, and the upgrade of a store that an earlier
version of the service (commit 0b22ea0) created and loaded."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import re
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from forecasting.snapshot_loader import (
    SNAPSHOT_CORRECTIONS,
    loaded_snapshot_version,
    snapshot_frame,
    snapshot_path,
    snapshot_version,
)
from tests.conftest import REPO, SHARED, run_cli

pytestmark = pytest.mark.empty_store  # first starts and upgrades of a store

OLD = Path(__file__).parent / "data" / "store_0b22ea0"
KEY = ["series", "period", "released"]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _build_old_store(db: Path, user_rows: list[tuple[str, str, float, str, str]]) -> None:
    """The store 0b22ea0's ``open_service`` leaves: its schema, its snapshot's rows and polls,
    the fingerprint it marked loaded; then rows a user added with ``data add``."""
    db.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db)
    con.executescript((OLD / "schema.sql").read_text(encoding="utf-8"))
    loaded = "2026-06-20 10:00:00.000000"
    con.executemany(
        "INSERT INTO observations (series, period, value, released, source, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (r["series"], r["period"], float(r["value"]), r["released"], r["source"], loaded)
            for r in _csv(OLD / "china_trade_observations.csv")
        ],
    )
    con.executemany(
        "INSERT INTO consensus (target, period, consensus, source, n_economists, polled_on, "
        "note, loaded_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        [
            (
                r["target"],
                r["period"],
                float(r["consensus"]),
                r["source"],
                int(float(r["n_economists"])) if r["n_economists"] else None,
                r["note"],
                loaded,
            )
            for r in _csv(OLD / "consensus.csv")
        ],
    )
    h = hashlib.sha256()
    for name in ("china_trade_observations.csv", "consensus.csv"):
        h.update((OLD / name).read_bytes())
    con.execute(
        "INSERT INTO service_meta (key, value) VALUES ('snapshot_fingerprint', ?)",
        (h.hexdigest()[:16],),
    )
    con.executemany(
        "INSERT INTO observations (series, period, value, released, source, loaded_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(*row, "2026-07-20 09:00:00.000000") for row in user_rows],
    )
    con.commit()
    con.close()


def test_version_names_the_last_china_release_it_holds() -> None:
    version = snapshot_version()
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}\.[0-9]+", version)
    snap = snapshot_frame()
    assert version.split(".")[0] == snap.query("series == 'exports_yoy'")["period"].max()


def test_fresh_store_holds_the_refreshed_snapshot(service) -> None:
    latest = service.observations.latest().set_index(["series", "period"])
    assert latest.loc[("exports_yoy", "2026-08"), "value"] == 25.0
    assert latest.loc[("exports_yoy", "2026-08"), "released"] == date(2026, 9, 8)
    assert ("kr_exports_yoy", "2026-09") in latest.index
    assert latest.loc[("imports_yoy", "2026-05"), "value"] == 27.4
    assert ("imports_yoy", "2026-03") in latest.index  # 2026-03 complete now
    assert loaded_snapshot_version(service.engine) == snapshot_version()
    assert service.snapshot_load is not None and service.snapshot_load.changes == ()
    assert service.observations.corrections().empty


def test_every_value_correction_is_in_the_snapshot_and_its_source(service) -> None:
    snap = snapshot_frame().set_index(KEY)
    for c in _csv(snapshot_path(SNAPSHOT_CORRECTIONS)):
        key = (c["series"], c["period"], date.fromisoformat(c["released"]))
        assert key in snap.index
        if c["change"] == "value":
            assert float(c["old_value"]) != snap.loc[key, "value"]
            note = f"correction in snapshot {c['snapshot']}: was {c['old_value']}"
            assert note in snap.loc[key, "source"]


def _without(frame: pd.DataFrame, keys: set[tuple[str, str, str]]) -> pd.DataFrame:
    """``frame`` without the rows of ``keys`` (released as ISO text)."""
    own = zip(frame["series"], frame["period"], frame["released"].astype(str), strict=True)
    return frame[[k not in keys for k in own]].reset_index(drop=True)


def _store_rows(service) -> pd.DataFrame:  # noqa: ANN001
    rows = service.observations.frame()
    rows = rows[~rows["source"].str.startswith("derived:")]  # regenerated, not bundled
    return rows.sort_values(KEY).reset_index(drop=True)


def test_store_of_0b22ea0_gets_new_rows_and_corrections_and_keeps_user_rows(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecasting.service import open_service

    db = Path(settings.service.database_url.removeprefix("sqlite:///"))
    user_rows = [
        # typed before the snapshot had June: another figure than the snapshot's -> kept
        ("exports_yoy", "2026-06", 7.5, "2026-07-14", "manual entry"),
        # the snapshot's own figure, typed by a user: identical -> left, its source kept
        ("imports_yoy", "2026-06", 36.0, "2026-07-14", "manual entry"),
        # a revision a user imported: no snapshot row has its key
        ("exports_yoy", "2026-05", 19.5, "2026-07-14", "my revision"),
    ]
    _build_old_store(db, user_rows)
    old = {
        (r["series"], r["period"], r["released"]): r
        for r in _csv(OLD / "china_trade_observations.csv")
    }
    new = {
        (r["series"], r["period"], r["released"]): r
        for r in _csv(snapshot_path("china_trade_observations.csv"))
    }
    user_keys = {(s, p, r) for s, p, _, r, _ in user_rows}

    svc = open_service(settings)

    load = svc.snapshot_load
    assert load is not None and load.version == snapshot_version()
    assert load.previous_version is None  # 0b22ea0's snapshot carried no version
    assert load.added == len(set(new) - set(old) - user_keys)
    frame = _store_rows(svc)
    assert not frame.duplicated(KEY).any()
    got = frame.set_index(KEY)
    # the acceptance figures
    assert got.loc[("exports_yoy", "2026-08", date(2026, 9, 8)), "value"] == 25.0
    assert ("kr_exports_yoy", "2026-09") in set(zip(frame["series"], frame["period"], strict=True))
    # a corrected first release: one row, the new value, a source that says so
    fixed = got.loc[("imports_yoy", "2026-05", date(2026, 6, 9))]
    assert fixed["value"] == 27.4
    assert "correction in snapshot" in fixed["source"] and "was 27.0" in fixed["source"]
    # what a user added is untouched
    for s, p, v, r, src in user_rows:
        row = got.loc[(s, p, date.fromisoformat(r))]
        assert (row["value"], row["source"]) == (v, src)
    # the audit: old values kept, the user's collision recorded, nothing silent
    audit = svc.observations.corrections()
    corrected = audit.query("action == 'corrected'")
    value_changes = [c for c in _csv(snapshot_path(SNAPSHOT_CORRECTIONS)) if c["change"] == "value"]
    audited = zip(corrected["series"], corrected["period"], corrected["old_value"], strict=True)
    assert sorted(audited) == sorted(
        (c["series"], c["period"], float(c["old_value"])) for c in value_changes
    )
    assert set(corrected["snapshot"]) == {snapshot_version()}
    kept = audit.query("action == 'kept_stored'")
    snapshot_june = float(new[("exports_yoy", "2026-06", "2026-07-14")]["value"])
    assert snapshot_june != 7.5
    assert list(
        zip(kept["series"], kept["period"], kept["old_value"], kept["new_value"], strict=True)
    ) == [("exports_yoy", "2026-06", 7.5, snapshot_june)]
    assert any("exports_yoy 2026-06" in w and "kept" in w for w in svc.warnings)
    # apart from the user's rows, the upgraded store holds exactly what a fresh store holds
    fresh_rows = snapshot_frame().sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(_without(frame, user_keys), _without(fresh_rows, user_keys))
    # consensus: the same polls as before, none doubled
    assert len(svc.consensus.frame()) == len(_csv(OLD / "consensus.csv"))
    # the next start does nothing
    again = open_service(settings)
    assert again.snapshot_load is None and again.warnings == []
    pd.testing.assert_frame_equal(_store_rows(again), frame)
    assert len(again.observations.corrections()) == len(audit)
    assert loaded_snapshot_version(again.engine) == snapshot_version()


@pytest.mark.skipif(not (SHARED / "public").exists(), reason="shared public data not present")
def test_build_script_reproduces_the_bundled_snapshot() -> None:
    spec = importlib.util.spec_from_file_location(
        "build_snapshot", REPO / "scripts" / "build_snapshot.py"
    )
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    corrections = _csv(snapshot_path(SNAPSHOT_CORRECTIONS))
    rows = build.with_correction_notes(build.build(SHARED / "public"), corrections)
    assert rows == _csv(snapshot_path("china_trade_observations.csv"))
    assert build.next_version(snapshot_version(), build.last_customs_period(rows), False) == (
        snapshot_version()
    )
    assert build.next_version("2026-08.1", "2026-08", True) == "2026-08.2"
    assert build.next_version("2026-08.2", "2026-09", True) == "2026-09.1"


def test_cli_data_show_lists_the_refreshed_releases(project: Path) -> None:
    exports = run_cli("data", "show", "--series", "exports_yoy")
    assert exports.returncode == 0, exports.stderr
    row = re.compile(r"exports_yoy\W+2026-08\W+25(\.0)?\W+2026-09-08\W")
    assert any(row.search(ln) for ln in exports.stdout.splitlines()), exports.stdout
    korea = run_cli("data", "show", "--series", "kr_exports_yoy")
    assert re.search(r"kr_exports_yoy\W+2026-09\W+[0-9.]+\W+2026-10-01\W", korea.stdout)


def test_loaded_at_of_a_corrected_row_is_the_load_time(settings) -> None:
    from forecasting.service import open_service

    db = Path(settings.service.database_url.removeprefix("sqlite:///"))
    _build_old_store(db, [])
    before = datetime.now()
    svc = open_service(settings)
    con = sqlite3.connect(db)
    (loaded,) = con.execute(
        "SELECT loaded_at FROM observations WHERE series = 'imports_yoy' AND period = '2026-05'"
    ).fetchone()
    con.close()
    assert datetime.fromisoformat(loaded) >= before
    value_changes = [c for c in _csv(snapshot_path(SNAPSHOT_CORRECTIONS)) if c["change"] == "value"]
    assert svc.snapshot_load is not None
    assert len(svc.snapshot_load.of("corrected")) == len(value_changes)


def test_a_snapshot_poll_never_replaces_a_stored_one(service) -> None:
    from forecasting.consensus import write_polls
    from forecasting.db import write_transaction

    service.consensus.add(
        target="exports_yoy", period="2026-11", value=4.0, source="reuters", today=date.today()
    )
    rows = [
        (
            2,
            {"target": "exports_yoy", "period": "2026-11", "consensus": "4.5", "source": "reuters"},
        ),
        (
            3,
            {"target": "imports_yoy", "period": "2026-11", "consensus": "1.0", "source": "reuters"},
        ),
    ]
    with write_transaction(service.engine) as conn:
        added, unchanged, kept = write_polls(conn, rows, where="snapshot X")
    assert (added, unchanged) == (1, 0)
    assert kept == ["the stored poll exports_yoy 2026-11 reuters (4) is kept; snapshot X has 4.5"]
    assert service.consensus.value("exports_yoy", "2026-11") == 4.0
    assert service.consensus.value("imports_yoy", "2026-11") == 1.0
