"""The write endpoints against a real SQLite store: the token (missing, wrong, right; writes
disabled without one), the CLI's validation and messages, all rows or none, size limits and
concurrent writers."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.forecasting.api.conftest import AUTH, TODAY, TOKEN, LiveServer, make_client, open_copy

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

POLL = {"target": "exports_yoy", "period": "2026-11", "consensus": 3.4, "source": "reuters"}
POLL["polled_on"] = "2026-12-01"


def _polls(store_copy: Path) -> list[tuple]:
    frame = open_copy(store_copy).consensus.frame()
    return sorted(map(tuple, frame.astype(str).to_numpy().tolist()))


def test_writes_are_refused_without_a_configured_token(store_copy: Path) -> None:
    before = _polls(store_copy)
    with make_client(store_copy, token=None) as c:
        for headers in ({}, AUTH, {"Authorization": "Bearer "}):
            r = c.post("/api/consensus", json={"polls": [POLL]}, headers=headers)
            assert r.status_code == 403
            assert r.json()["error"]["type"] == "WritesDisabled"
            assert "FORECASTING_API_TOKEN" in r.json()["error"]["message"]
        assert c.get("/api/health").json()["writes_enabled"] is False
        assert c.get("/api/calendar").status_code == 200  # reads stay open
    assert _polls(store_copy) == before


def test_the_token_comes_from_the_environment(
    store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORECASTING_API_TOKEN", "from-the-env")
    with make_client(store_copy, token=...) as c:
        ok = c.post(
            "/api/consensus",
            json={"polls": [POLL]},
            headers={"Authorization": "Bearer from-the-env"},
        )
        assert ok.status_code == 200 and ok.json()["added"] == 1


def test_missing_wrong_and_right_tokens(
    client: Any, store_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = _polls(store_copy)
    wrong = "wrong-secret-" + TOKEN[::-1]
    for headers in (
        {},
        {"Authorization": f"Bearer {wrong}"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        r = client.post("/api/consensus", json={"polls": [POLL]}, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert wrong not in r.text and TOKEN not in r.text
    assert _polls(store_copy) == before  # refused before the body was looked at
    right = client.post("/api/consensus", json={"polls": [POLL]}, headers=AUTH)
    assert right.status_code == 200 and right.json() == {"added": 1, "unchanged": 0, "skipped": 0}
    shown = client.get("/api/targets/exports_yoy/next-release").json()["consensus"]
    assert shown == {"value": 3.4, "source": "reuters", "polled_on": "2026-12-01"}
    assert TOKEN not in caplog.text and wrong not in caplog.text


def test_a_poll_again_is_unchanged_and_another_figure_is_refused(client: Any) -> None:
    assert client.post("/api/consensus", json={"polls": [POLL]}, headers=AUTH).json()["added"] == 1
    again = client.post("/api/consensus", json={"polls": [POLL]}, headers=AUTH).json()
    assert again == {"added": 0, "unchanged": 1, "skipped": 0}
    other = client.post("/api/consensus", json={"polls": [POLL | {"consensus": 9.9}]}, headers=AUTH)
    assert other.status_code == 422
    problem = other.json()["error"]["problems"][0]
    assert problem["row"] == 1 and "already in the consensus store" in problem["message"]


def test_bad_rows_are_named_with_the_cli_messages_and_nothing_is_written(
    client: Any, store_copy: Path, tmp_path: Path
) -> None:
    from forecasting.errors import InvalidRowsError

    rows = [
        POLL,
        {"target": "exports_yoy", "period": "2026-13", "consensus": 1.0, "source": "reuters"},
        {"target": "exports_yoy", "period": "2026-11", "consensus": "abc", "source": "wsj"},
        {"target": "nope", "period": "2026-11", "consensus": 1, "source": "wsj"},
        {"target": "imports_yoy", "period": "2026-11", "consensus": 1, "source": "pigeon"},
    ]
    before = _polls(store_copy)
    r = client.post("/api/consensus", json={"polls": rows}, headers=AUTH)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "InvalidRowsError" and "nothing was written" in error["message"]
    got = [(p["row"], p["field"], p["value"], p["message"]) for p in error["problems"]]
    assert [g[:3] for g in got] == [
        (2, "period", "2026-13"),
        (3, "consensus", "abc"),
        (4, "target", "nope"),
        (5, "source", "pigeon"),
    ]
    assert _polls(store_copy) == before  # the good first row is not written either
    # the same rows through `consensus import`: the same problems, word for word
    csv = tmp_path / "polls.csv"
    lines = ["target,period,consensus,source,polled_on"]
    lines += [f"{p['target']},{p['period']},{p['consensus']},{p['source']}," for p in rows]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidRowsError) as cli:
        open_copy(store_copy).consensus.import_csv(csv, today=TODAY)
    assert [(c, v, m) for _, c, v, m in cli.value.problems] == [g[1:] for g in got]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"polls": []}, "polls"),
        ({"polls": [POLL | {"colour": "red"}]}, "colour"),
        ({"polls": [POLL | {"consensus": True}]}, "consensus"),
        ({"polls": [{k: v for k, v in POLL.items() if k != "source"}]}, "source"),
        ({"poll": [POLL]}, "polls"),
    ],
)
def test_malformed_bodies_are_422_naming_the_field(client: Any, body: dict, field: str) -> None:
    r = client.post("/api/consensus", json=body, headers=AUTH)
    assert r.status_code == 422
    assert field in [p["field"] for p in r.json()["error"]["problems"]]


def test_a_body_that_is_not_json(client: Any) -> None:
    r = client.post(
        "/api/consensus",
        content=b"target,period\nexports_yoy,2026-11",
        headers=AUTH | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["type"] == "RequestValidationError"


def test_observations_are_added_once_and_a_conflict_refused(client: Any) -> None:
    row = {
        "series": "exports_yoy",
        "period": "2026-09",
        "value": 8.3,
        "released": "2026-10-13",
        "source": "GACC",
    }
    added = client.post("/api/observations", json={"observations": [row]}, headers=AUTH)
    assert added.status_code == 200 and added.json()["added"] == 1
    series = client.get("/api/series/exports_yoy").json()["rows"]
    assert {"period": "2026-09", "value": 8.3} in [
        {"period": r["period"], "value": r["value"]} for r in series
    ]
    again = client.post("/api/observations", json={"observations": [row]}, headers=AUTH)
    assert again.json() == {"added": 0, "unchanged": 1, "skipped": 0}
    other = client.post(
        "/api/observations", json={"observations": [row | {"value": 9.1}]}, headers=AUTH
    )
    assert other.status_code == 422
    assert "a revision is a row with a later released date" in other.json()["error"]["message"]
    future = client.post(
        "/api/observations",
        json={"observations": [row | {"period": "2026-11", "released": "2027-01-01"}]},
        headers=AUTH,
    )
    assert future.status_code == 422
    assert future.json()["error"]["problems"][0]["field"] == "released"


def test_oversized_bodies_are_refused_and_nothing_written(store_copy: Path) -> None:
    before = _polls(store_copy)
    body = {"polls": [POLL | {"note": "x" * 2000}]}
    with make_client(store_copy, max_body_bytes=1000) as c:
        r = c.post("/api/consensus", json=body, headers=AUTH)
        assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"

        def chunks():  # noqa: ANN202 - a body sent without a length (chunked)
            for _ in range(20):
                yield b"x" * 100

        chunked = c.post("/api/consensus", content=chunks(), headers=AUTH)
        assert chunked.status_code == 413
        small = c.post("/api/consensus", json={"polls": [POLL]}, headers=AUTH)
        assert small.status_code == 200
    assert len(_polls(store_copy)) == len(before) + 1


def test_concurrent_writers_keep_the_store_consistent(live: LiveServer, store_copy: Path) -> None:
    """Threads post the same poll and a conflicting one at once: no 500, one poll stored."""
    same = {"polls": [POLL]}
    conflicting = {"polls": [POLL | {"consensus": 5.0}]}
    rows = [
        {"series": "kr_exports_yoy", "period": "2026-11", "value": 7.5},
        {"series": "kr_exports_yoy", "period": "2026-11", "value": 7.6},
    ]
    results: list[tuple[str, int, dict]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def post(kind: str, path: str, body: dict) -> None:
        with httpx.Client(base_url=live.url, headers=AUTH, timeout=60) as http:
            barrier.wait()
            r = http.post(path, json=body)
            with lock:
                results.append((kind, r.status_code, r.json()))

    threads = []
    for i in range(16):
        if i % 4 == 3:
            row = rows[i % 2] | {"released": "2026-12-01", "source": "test"}
            args = ("obs", "/api/observations", {"observations": [row]})
        else:
            args = ("poll", "/api/consensus", same if i % 2 == 0 else conflicting)
        threads.append(threading.Thread(target=post, args=args))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(results) == 16
    assert {status for _, status, _ in results} <= {200, 422}, results
    svc = open_copy(store_copy)
    stored = svc.consensus.frame("exports_yoy")
    stored = stored[(stored["period"] == "2026-11") & (stored["source"] == "reuters")]
    assert len(stored) == 1  # one poll under the key, whichever came first
    value = float(stored["consensus"].iloc[0])
    polls = [(s, body) for kind, s, body in results if kind == "poll"]
    accepted = sum(1 for s, body in polls if s == 200 and body["added"] == 1)
    assert accepted == 1
    for status, body in polls:  # the accepted value is stored; the other one refused
        if status == 422:
            assert "already in the consensus store" in body["error"]["message"]
    assert value in (3.4, 5.0)
    obs = svc.observations.frame()
    kr = obs[(obs["series"] == "kr_exports_yoy") & (obs["period"] == "2026-11")]
    assert len(kr) == 1
