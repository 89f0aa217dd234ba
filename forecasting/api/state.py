"""What the API keeps between requests: the opened service, the store's version, and the read
responses computed for that version.

A poll must cost little. The store's version is a few aggregates (row counts, last ids and
load times of the observations, consensus, ledger and backtest tables: one cheap query
each), asked again at most every :data:`VERSION_TTL` seconds (at once after a write through
the API; a write by another process, the scheduler or the CLI, shows within that time); when
they moved, the cached observations are forgotten and the data fingerprint recomputed. The
ETag of a read is a hash of that fingerprint, the consensus, ledger and backtest state, the
day (the next release and the days left depend on it) and the URL; a response computed for a
version is kept and served until the version changes. Responses are computed once per
version however many clients ask at the same time (one lock per response); computations that
may fit models (a forecast, a scoreboard, the surplus) run one at a time.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from forecasting import __version__
from forecasting.backtest import data_fingerprint
from forecasting.service import Service
from forecasting.tables import backtest_table, consensus_table, ledger_table, observations_table

__all__ = ["ApiState", "Cached", "StoreVersion"]

DEFAULT_MLFLOW_UI_URL = "http://127.0.0.1:5000"
#: cached responses kept per store version (the dashboard's, a handful per target, queries)
MAX_CACHED = 512
#: seconds a store version is trusted before the store is asked again
VERSION_TTL = 0.5


@dataclass(frozen=True)
class StoreVersion:
    """The store as of one read: ``key`` changes whenever anything a read shows may have."""

    key: str
    fingerprint: str
    today: date


@dataclass(frozen=True)
class Cached:
    """A computed read: its JSON body and ETag."""

    body: bytes
    etag: str


@dataclass
class ApiState:
    """One per app. ``token``: the write token (None: writes refused); ``mlflow_ui_url``:
    where the dashboard's run links point."""

    service: Service
    clock: Callable[[], date]
    token: str | None = field(default=None, repr=False)
    mlflow_ui_url: str = DEFAULT_MLFLOW_UI_URL
    compute: bool = True
    _aggregates: tuple | None = field(default=None, init=False, repr=False)
    _fingerprint: str = field(default="", init=False)
    _cache: dict[tuple, Cached] = field(default_factory=dict, init=False, repr=False)
    _locks: dict[tuple, threading.Lock] = field(default_factory=dict, init=False, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _last: tuple[float, StoreVersion] | None = field(default=None, init=False, repr=False)
    _asking: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    heavy: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def recent_version(self) -> StoreVersion | None:
        """Without a query, the version asked less than :data:`VERSION_TTL` seconds ago, or
        the last one while another request is asking the store (on the same day); None when
        this request has to ask (:meth:`refresh`)."""
        last = self._last
        if last is None or last[1].today != self.clock():
            return None
        fresh = time.monotonic() - last[0] <= VERSION_TTL
        return last[1] if fresh or self._asking.locked() else None

    def refresh(self) -> StoreVersion:
        """Ask the store for its version, one request at a time (the others meanwhile keep
        the last one, see :meth:`recent_version`)."""
        with self._asking:
            return self.version()

    def invalidate(self) -> None:
        """Ask the store again on the next read (after a write)."""
        self._last = None

    def version(self) -> StoreVersion:
        """The store's version now (one small query per table)."""
        asked = time.monotonic()
        aggregates = _store_aggregates(self.service.engine)
        with self._guard:
            if aggregates != self._aggregates:
                self.service.observations.invalidate()
                self._fingerprint = data_fingerprint(self.service.observations.frame())
                self._aggregates = aggregates
                self._cache.clear()
                self._locks.clear()
            fingerprint = self._fingerprint
        today = self.clock()
        parts = [__version__, fingerprint, aggregates[1:], today.isoformat()]
        text = json.dumps(parts, default=str)
        version = StoreVersion(hashlib.sha256(text.encode()).hexdigest()[:20], fingerprint, today)
        self._last = (asked, version)
        return version

    def peek(self, url: str, version: StoreVersion) -> Cached | None:
        """``url``'s response at ``version`` if it is computed already."""
        return self._cache.get((version.key, url))

    @staticmethod
    def etag(version: StoreVersion, url: str) -> str:
        """The ETag of ``url``'s response at ``version`` (known before computing it)."""
        return '"' + hashlib.sha256(f"{version.key} {url}".encode()).hexdigest()[:24] + '"'

    def cached(
        self,
        url: str,
        version: StoreVersion,
        compute: Callable[[], object],
        *,
        heavy: bool = False,
    ) -> Cached:
        """``compute()``'s JSON for ``url`` at ``version``, computed once per version."""
        key = (version.key, url)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._cache.get(key)
            if hit is not None:
                return hit
            if heavy:
                with self.heavy:
                    value = compute()
            else:
                value = compute()
            body = json.dumps(value, allow_nan=False, default=str).encode()
            out = Cached(body, self.etag(version, url))
            with self._guard:
                if len(self._cache) >= MAX_CACHED:
                    self._cache.clear()
                self._cache[key] = out
            return out


def _store_aggregates(engine: sa.Engine) -> tuple:
    """Counts, last ids and load times (and a sum of the values, which an in-place
    correction changes) of the tables the reads show."""
    o, c, le, b = observations_table.c, consensus_table.c, ledger_table.c, backtest_table.c
    f = sa.func
    queries = (
        sa.select(f.count(), f.max(o.id), f.max(o.loaded_at), f.sum(o.value)),
        sa.select(f.count(), f.max(c.id), f.max(c.loaded_at), f.sum(c.consensus)),
        sa.select(f.count(), f.max(le.id), f.count(le.mlflow_run_id)),
        sa.select(f.count(), f.max(b.id)),
    )
    with engine.connect() as conn:
        return tuple(tuple(conn.execute(q).one()) for q in queries)
