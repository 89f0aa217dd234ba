"""The service's own database (SQLite by default, PostgreSQL by configuration): one schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.base import FORECAST_COLUMNS

__all__ = [
    "consensus_table",
    "ledger_table",
    "make_engine",
    "meta_table",
    "metadata",
    "observations_table",
    "read_meta",
    "write_meta",
]

metadata = sa.MetaData()


def _forecast_columns() -> list[sa.Column]:
    """The point forecast and interval columns of the forecast frame (nullable: a failed
    model keeps its row with these empty)."""
    return [sa.Column(name, sa.Float, nullable=True) for name in FORECAST_COLUMNS[1:]]


observations_table = sa.Table(
    "observations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("series", sa.String(64), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("released", sa.Date, nullable=False),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("series", "period", "released", name="uq_observation_vintage"),
)

consensus_table = sa.Table(
    "consensus",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("consensus", sa.Float, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("n_economists", sa.Integer, nullable=True),
    sa.Column("polled_on", sa.Date, nullable=True),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("target", "period", "source", "polled_on", name="uq_consensus_poll"),
)

ledger_table = sa.Table(
    "forecast_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(64), nullable=False),
    sa.Column("origin", sa.String(32), nullable=False),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    *_forecast_columns(),
    sa.Column("p_beat", sa.Float, nullable=True),
    sa.Column("consensus", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("mlflow_run_id", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

backtest_table = sa.Table(
    "backtest_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(16), nullable=False, index=True),
    sa.Column("target", sa.String(32), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    *_forecast_columns(),
    sa.Column("actual", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("fingerprint", "target", "period", "model", name="uq_backtest_row"),
)

meta_table = sa.Table(
    "service_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


def read_meta(engine: Engine, key: str) -> str | None:
    """The ``service_meta`` value stored under ``key`` (None if absent)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(meta_table.c.value).where(meta_table.c.key == key)
        ).scalar_one_or_none()


def write_meta(engine: Engine, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in ``service_meta``, replacing any earlier value."""
    with engine.begin() as conn:
        conn.execute(meta_table.delete().where(meta_table.c.key == key))
        conn.execute(meta_table.insert().values(key=key, value=value))


def make_engine(url: str) -> Engine:
    """Engine for ``url`` with the schema created; a SQLite file's folder is created too."""
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True)
    metadata.create_all(engine)
    return engine
