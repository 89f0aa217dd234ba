"""PostgreSQL side of :mod:`forecasting.store_locks`: session-level advisory locks, each on a
dedicated autocommit connection (its own session, with TCP keepalives so that a vanished
host's session ends), and who holds one (``pg_locks`` joined with ``pg_stat_activity``)."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from forecasting.errors import StoreError
from forecasting.masking import mask_url

__all__ = ["pg_connect", "pg_error", "pg_holder", "pg_key"]


def pg_key(name: str) -> int:
    """The advisory lock key (a signed bigint) of a lock name."""
    digest = hashlib.sha256(f"forecasting:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def pg_connect(database_url: str, application_name: str) -> Any:
    """A dedicated autocommit connection (its own session) to the PostgreSQL store."""
    from sqlalchemy.pool import NullPool

    from forecasting.db import BUSY_TIMEOUT_SECONDS, store_url

    url = store_url(database_url)
    args: dict[str, object] = {
        "application_name": application_name[:63],
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = int(BUSY_TIMEOUT_SECONDS)
    try:
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=args)
        return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.DBAPIError as exc:
        raise pg_error(database_url, exc) from None


def pg_error(database_url: str, exc: sa.exc.DBAPIError) -> StoreError:
    """A database failure as the one-line StoreError (password masked)."""
    from forecasting.db import store_error_message

    return StoreError(store_error_message(mask_url(database_url), exc.orig or exc))


def pg_holder(database_url: str, key: int) -> str:
    """Who holds advisory lock ``key`` (its session's application name, client address and
    start), or ``""`` when nobody does."""
    conn = pg_connect(database_url, "forecasting lock lookup")
    try:
        row = conn.execute(
            sa.text(
                "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                "AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
            ),
            {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
        ).first()
    except sa.exc.DBAPIError as exc:
        raise pg_error(database_url, exc) from None
    finally:
        conn.close()
    if row is None:
        return ""
    where = f" from {row.client_addr}" if row.client_addr else ""
    return f"{row.application_name}{where} since {row.backend_start:%Y-%m-%dT%H:%M:%S%z}"
