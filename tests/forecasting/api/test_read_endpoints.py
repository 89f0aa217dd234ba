"""The read endpoints against a real SQLite store: each gives what the library call its CLI
command makes gives, with an ETag that answers 304 until the store changes."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from forecasting.api.state import VERSION_TTL
from tests.forecasting.api.conftest import AUTH, TODAY, make_client, open_copy

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def test_next_release_is_what_the_ledger_recorded_as_forecast_json_gives(
    client: Any, store_copy: Path
) -> None:
    from forecasting.jobs.record import ledger_rows
    from forecasting.usecases import forecast_release

    svc = open_copy(store_copy)
    fc = forecast_release(svc, "exports_yoy", today=TODAY)  # what `forecast --json` computes
    svc.ledger.append(ledger_rows(fc), job_id="forecast-api-test", origin="forecast")
    said = fc.as_dict()

    got = client.get("/api/targets/exports_yoy/next-release").json()

    assert got["source"] == "ledger" and got["ledger_job_id"] == "forecast-api-test"
    assert (got["period"], got["release_date"], got["as_of"]) == (
        said["period"],
        said["release_date"],
        said["as_of"],
    )
    for key in ("model", "yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
        assert got["ensemble"][key] == said["ensemble"][key], key
    assert got["consensus_at_forecast"] == said["consensus"]
    assert [m["model"] for m in got["models"]] == [m["model"] for m in said["models"]]
    assert got["days_left"] == (fc.release.date - TODAY).days
    assert got["champion"] in {m["model"] for m in said["models"]}
    assert got["data_status"]["series"] == "exports_yoy"


def test_next_release_is_computed_only_when_the_ledger_holds_none(store_copy: Path) -> None:
    from forecasting.tables import ledger_table
    from forecasting.usecases import forecast_release

    svc = open_copy(store_copy)
    with svc.engine.begin() as conn:
        conn.execute(ledger_table.delete().where(ledger_table.c.target == "imports_yoy"))
    with make_client(store_copy, compute=False) as c:
        refused = c.get("/api/targets/imports_yoy/next-release")
        assert refused.status_code == 404 and "no forecast recorded" in refused.text
        assert c.get("/api/targets/exports_yoy/next-release").json()["source"] == "ledger"
    with make_client(store_copy) as c:
        got = c.get("/api/targets/imports_yoy/next-release").json()
    said = forecast_release(svc, "imports_yoy", today=TODAY).as_dict()
    assert got["source"] == "computed" and got["ledger_job_id"] is None
    assert got["ensemble"]["yhat"] == pytest.approx(said["ensemble"]["yhat"], abs=1e-9)
    assert got["as_of"] == said["as_of"]
    assert svc.ledger.frame(target="imports_yoy").empty  # a read records nothing


def test_every_target_and_the_dashboard(client: Any) -> None:
    every = client.get("/api/next-release").json()
    assert [t["target"] for t in every["targets"]] == [
        "exports_yoy",
        "imports_yoy",
        "balance_usd_bn",
    ]
    assert all(t["period"] == "2026-11" and t["source"] == "ledger" for t in every["targets"])
    assert [t["unit"] for t in every["targets"]] == ["% y/y, USD", "% y/y, USD", "USD bn"]
    board = client.get("/api/dashboard").json()
    assert board["today"] == TODAY.isoformat()
    assert [t["next_release"]["ensemble"]["yhat"] for t in board["targets"]] == [
        t["ensemble"]["yhat"] for t in every["targets"]
    ]
    assert all(len(t["track_record"]["releases"]) == 12 for t in board["targets"])
    assert board["surplus"]["year"] == 2026 and board["surplus"]["total"] is not None
    assert board["mlflow_ui_url"] == "http://127.0.0.1:5000"


def test_calendar_matches_the_release_calendar(client: Any, store_copy: Path) -> None:
    cal = open_copy(store_copy).calendar()
    got = client.get("/api/calendar").json()["releases"]
    want = cal.upcoming(TODAY, count=12)
    assert [(r["period"], r["release_date"]) for r in got] == [
        (str(r.period), r.date.isoformat()) for r in want
    ]
    dated = client.get("/api/calendar?year=2026").json()["releases"]
    assert dated and all(r["release_date"].startswith("2026-") for r in dated)
    assert client.get("/api/calendar?year=3000").status_code == 422


def test_one_periods_forecasts_over_time(client: Any, store_copy: Path) -> None:
    url = "/api/targets/exports_yoy/periods/2026-11/forecasts"
    first = client.get(url).json()
    assert len(first["forecasts"]) == 1 and first["forecasts"][0]["origin"] == "run"
    svc = open_copy(store_copy)
    rows = svc.ledger.frame(target="exports_yoy", period="2026-11").assign(
        as_of=TODAY + timedelta(days=1)
    )
    svc.ledger.append(rows, job_id="forecast-later", origin="forecast")  # the scheduler's
    time.sleep(VERSION_TTL + 0.1)
    later = client.get(url).json()
    assert [p["job_id"] for p in later["forecasts"]][-1] == "forecast-later"
    assert later["forecasts"][-1]["as_of"] == (TODAY + timedelta(days=1)).isoformat()
    assert client.get("/api/targets/exports_yoy/periods/2020-01/forecasts").status_code == 404


def test_track_record_and_scoreboard(client: Any, store_copy: Path) -> None:
    from forecasting.usecases import compare

    record = client.get("/api/targets/exports_yoy/track-record").json()["releases"]
    assert len(record) == 12 and record[0]["period"] == "2026-08"
    dec = next(r for r in record if r["period"] == "2025-12")
    assert (dec["actual"], dec["consensus"], dec["consensus_source"]) == (6.6, 3.1, "bloomberg")
    closer = abs(dec["forecast"] - 6.6) < abs(3.1 - 6.6)
    assert dec["closer"] == ("model" if closer else "consensus")

    board = client.get("/api/targets/exports_yoy/scoreboard").json()
    want = compare(open_copy(store_copy), "exports_yoy", start=board["start"], end=board["end"])
    assert board["periods"] == list(want.periods) == ["2025-12"]
    got = {r["model"]: r["mae"] for r in board["board"]}
    assert got == pytest.approx(want.board["mae"].to_dict())
    assert board["against_consensus"] and board["consensus_note"] is None
    assert board["unit"] == "% y/y, USD"


def test_the_balance_in_usd_bn_says_it_has_no_recent_poll(client: Any, store_copy: Path) -> None:
    """The third target everywhere: its unit, its forecasts, and "no recent consensus poll"
    where the y/y targets show a consensus (its last poll is years old)."""
    from forecasting.backtest import data_fingerprint

    svc = open_copy(store_copy)
    last_poll = max(svc.consensus.frame("balance_usd_bn")["period"])
    assert (pd.Period("2026-11", freq="M") - pd.Period(last_poll, freq="M")).n >= 36
    note = f"no recent consensus poll (the last one stored is for {last_poll})"
    recorded = svc.ledger.frame(target="balance_usd_bn", period="2026-11")

    nr = client.get("/api/targets/balance_usd_bn/next-release").json()
    assert nr["unit"] == "USD bn" and nr["consensus"] is None
    assert nr["consensus_note"] == note
    assert (nr["last_polled_period"], nr["recent_poll"]) == (last_poll, False)
    assert nr["model_minus_consensus"] is None and nr["ensemble"]["p_beat"] is None
    ensemble = recorded[recorded["model"] == nr["ensemble"]["model"]].iloc[-1]
    assert nr["ensemble"]["yhat"] == pytest.approx(ensemble["yhat"])
    assert 0 < nr["ensemble"]["yhat_lo_80"] < nr["ensemble"]["yhat"]  # bn, not %

    record = client.get("/api/targets/balance_usd_bn/track-record").json()
    assert record["unit"] == "USD bn" and record["consensus_note"] == note
    assert record["judged"] == 0 and len(record["releases"]) == 12
    assert all(r["consensus"] is None and r["closer"] is None for r in record["releases"])
    assert all(r["forecast"] is not None for r in record["releases"])

    board = client.get("/api/targets/balance_usd_bn/scoreboard").json()
    released = sorted(svc.observations.release_dates("balance_usd_bn"))
    assert board["periods"] == released[-36:] and board["consensus"] == {}
    assert board["against_consensus"] is False and board["consensus_note"] == note
    stored = svc.backtests.load(data_fingerprint(svc.observations.frame()), "balance_usd_bn")
    stored = stored[stored["period"].isin(board["periods"])]
    for row in board["board"]:
        mine = stored[stored["model"] == row["model"]]
        assert row["n"] == 36 == len(mine)
        assert row["mae"] == pytest.approx((mine["yhat"] - mine["actual"]).abs().mean())
    assert {r["model"] for r in board["board"]} == set(recorded["model"])

    ledger = client.get("/api/ledger?target=balance_usd_bn").json()
    assert ledger["units"] == {"balance_usd_bn": "USD bn"}
    assert len(ledger["rows"]) == len(recorded)
    assert client.get("/api/ledger?target=nope").status_code == 404
    ev = client.get("/api/targets/balance_usd_bn/periods/2026-11/forecasts").json()
    assert ev["unit"] == "USD bn" and ev["polls"] == []


def test_series_as_of_a_date_and_the_ledger(client: Any, store_copy: Path) -> None:
    svc = open_copy(store_copy)
    rows = client.get("/api/series/exports_yoy?as_of=2025-01-01").json()["rows"]
    want = svc.observations.information_set(pd.Timestamp("2025-01-01").date())
    want = want[want["series"] == "exports_yoy"]
    assert len(rows) == len(want) and max(r["released"] for r in rows) < "2025-01-01"
    assert rows[-1]["value"] == float(want.sort_values("period")["value"].iloc[-1])
    vintages = client.get("/api/series/exports_yoy?vintages=true").json()["rows"]
    assert len(vintages) >= len(rows)
    assert client.get("/api/series/nope").status_code == 404
    assert client.get("/api/series/exports_yoy?as_of=2025-13-01").status_code == 422

    ledger = client.get("/api/ledger?target=exports_yoy&model=ensemble").json()["rows"]
    assert len(ledger) == 1 and ledger[0]["period"] == "2026-11"


def test_surplus_is_what_forecasting_surplus_json_prints(
    client: Any,
    store_copy: Path,
    mlflow_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json
    import shutil
    import sys

    from forecasting.cli import run
    from forecasting.usecases import data_status
    from forecasting.usecases.surplus import surplus

    # the command logs its run to MLflow: an empty migrated store for it
    (store_copy.parent.parent / "mlruns").mkdir()
    shutil.copy(mlflow_template, store_copy.parent.parent / "mlruns" / "mlflow.db")
    as_of = (TODAY + timedelta(days=1)).isoformat()  # what the server's day reads
    monkeypatch.setattr(sys, "argv", ["forecasting", "surplus", "--json", "--as-of", as_of])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        run()
    assert done.value.code in (None, 0)
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("mlflow_run_id")
    got = client.get("/api/surplus").json()
    assert got == printed and got["year"] == 2026 and not got["complete"]
    assert len(got["released"]) + len(got["remaining"]) == 11  # Jan-Feb as one

    svc = open_copy(store_copy)
    last_year = client.get("/api/surplus?year=2025").json()
    assert last_year == surplus(svc, year=2025, as_of=TODAY + timedelta(days=1)).as_dict()
    assert last_year["complete"] and last_year["total"] == pytest.approx(
        sum(r["balance"] for r in last_year["released"])
    )
    beyond = client.get("/api/surplus?year=2030")
    assert beyond.status_code == 404 and beyond.json()["error"]["type"] == "DataError"
    assert client.get("/api/surplus?year=1900").status_code == 422
    assert client.get("/api/status").json() == data_status(svc, TODAY).as_dict()


def test_etag_and_if_none_match(client: Any) -> None:
    url = "/api/targets/exports_yoy/next-release"
    first = client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert client.get(url).headers["etag"] == etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/api/calendar").headers["etag"] != etag  # per URL
    poll = {"target": "exports_yoy", "period": "2026-11", "consensus": 3.5, "source": "reuters"}
    assert client.post("/api/consensus", json={"polls": [poll]}, headers=AUTH).status_code == 200
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["consensus"]["value"] == 3.5
    page = client.get("/")
    assert page.status_code == 200 and "dashboard.js" in page.text
    assert client.get("/", headers={"If-None-Match": page.headers["etag"]}).status_code == 304


def test_a_write_by_another_process_changes_the_etag(client: Any, store_copy: Path) -> None:
    url = "/api/series/kr_exports_yoy"
    etag = client.get(url).headers["etag"]
    svc = open_copy(store_copy)  # another writer (the scheduler, the CLI) on the same store
    frame = pd.DataFrame(
        [
            {
                "series": "kr_exports_yoy",
                "period": "2026-11",
                "value": "7.5",
                "released": "2026-12-01",
                "source": "test",
            }
        ]
    )
    assert svc.observations.add_frame(frame, today=TODAY, where="test").added == 1
    time.sleep(VERSION_TTL + 0.1)  # the store is asked again at most this often
    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()["rows"][-1]["period"] == "2026-11"


def test_errors_have_one_shape_and_never_a_traceback(store_copy: Path) -> None:
    def broken_clock():  # noqa: ANN202 - a bug in the server
        raise ZeroDivisionError("division by zero in the clock")

    with make_client(store_copy, clock=broken_clock) as c:
        bug = c.get("/api/calendar")
    body = bug.json()
    assert bug.status_code == 500
    assert body["error"]["type"] == "InternalError"
    assert "Traceback" not in bug.text and "ZeroDivision" not in bug.text
    with make_client(store_copy) as c:
        for url, status in (
            ("/api/targets/nope/next-release", 404),
            ("/api/nowhere", 404),
            ("/api/targets/exports_yoy/scoreboard?start=2025-1", 422),
        ):
            r = c.get(url)
            assert r.status_code == status, url
            assert set(r.json()["error"]) == {"status", "type", "message", "problems"}
        assert c.delete("/api/calendar", headers=AUTH).status_code == 405


def test_a_corrupt_store_is_503_with_one_line(store_copy: Path) -> None:
    """A store that cannot be read any more (its file overwritten under the running server):
    reads and writes answer 503 with the store's one-line message, never a traceback."""
    with make_client(store_copy) as c:
        assert c.get("/api/ledger").status_code == 200
        state = store_copy.parent.parent / ".state"
        for path in [state / "forecasting.db", *state.glob("forecasting.db-*")]:
            with path.open("r+b") as f:
                f.write(b"garbage!" * 512)
        time.sleep(VERSION_TTL + 0.1)
        read = c.get("/api/ledger")
        poll = {"target": "exports_yoy", "period": "2026-11", "consensus": 3.5, "source": "wsj"}
        write = c.post("/api/consensus", json={"polls": [poll]}, headers=AUTH)
    for r in (read, write):
        body = r.json()["error"]
        assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
        assert body["type"] == "StoreError" and "not a readable SQLite database" in body["message"]
        assert "Traceback" not in r.text


def test_service_errors_map_to_statuses() -> None:
    from forecasting.api.errors import status_of
    from forecasting.errors import (
        ConfigError,
        DataError,
        ForecastingError,
        InvalidRowsError,
        ModelError,
        NotReleasedError,
        PortInUseError,
        ScheduleError,
        StoreError,
        TrackingError,
        UnknownModelError,
    )

    assert status_of(DataError("x"), "GET") == 404
    assert status_of(InvalidRowsError("x"), "POST") == 422
    assert status_of(UnknownModelError("x"), "GET") == 422
    assert status_of(StoreError("x"), "POST") == 503
    assert status_of(TrackingError("x"), "GET") == 503
    assert status_of(ModelError("x"), "GET") == 500
    assert status_of(ConfigError("x"), "GET") == 500
    assert status_of(PortInUseError("x"), "GET") == 500
    assert status_of(ScheduleError("x"), "POST") == 500
    assert status_of(NotReleasedError("x"), "GET") == 404
    assert status_of(ForecastingError("x"), "GET") == 500


def test_docs_are_served_without_a_cdn(client: Any) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/consensus", "/api/observations", "/api/targets/{target}/next-release"} <= set(
        paths
    )


def test_the_store_stays_sqlite_with_no_mock(store_copy: Path) -> None:
    """The fixtures' store is a real SQLite file holding the main job's ledger."""
    svc = open_copy(store_copy)
    assert svc.engine.dialect.name == "sqlite"
    with svc.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from forecast_ledger")).scalar() > 0
