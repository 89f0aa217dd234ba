"""The service store's schema: every table of the one database :mod:`forecasting.db` opens
(SQLite by default, PostgreSQL by configuration), on one ``MetaData``.

A table that only caches what can be recomputed (backtest rows, origin rows) carries its
layout's version in its name: a store of an older layout just gets a new table.
"""

from __future__ import annotations

import sqlalchemy as sa

from models.base import FORECAST_COLUMNS

__all__ = [
    "backtest_table",
    "consensus_table",
    "corrections_table",
    "job_runs_table",
    "ledger_table",
    "meta_table",
    "metadata",
    "observations_table",
    "origin_rows_table",
]

metadata = sa.MetaData()


def _member_columns() -> list[sa.Column]:
    """A model's row at a backtest origin: which target, period, model and ``as_of``, and its
    forecast columns."""
    return [
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        *_forecast_columns(),
    ]


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

#: The audit of every change the snapshot loader made to a stored row (or declined to make):
#: ``action`` is ``corrected`` (the value of a snapshot row replaced by the snapshot's
#: correction), ``source_updated`` (a snapshot row's source text replaced, value unchanged) or
#: ``kept_stored`` (a stored row that differs from the snapshot and is not a known earlier
#: snapshot row, e.g. a user's: kept as it is). ``old_*`` is what the store held, ``new_*``
#: what the snapshot brought (applied unless ``kept_stored``).
corrections_table = sa.Table(
    "observation_corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("series", sa.String(64), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("released", sa.Date, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("old_value", sa.Float, nullable=False),
    sa.Column("old_source", sa.Text, nullable=False),
    sa.Column("new_value", sa.Float, nullable=False),
    sa.Column("new_source", sa.Text, nullable=False),
    sa.Column("snapshot", sa.String(32), nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
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

#: pseudo-real-time rows kept as a cache keyed by the data's fingerprint (recomputable; the
#: table's name carries its layout's version, so a store of an older layout just gets a new one)
backtest_table = sa.Table(
    "backtest_rows_v2",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.String(16), nullable=False, index=True),
    *_member_columns(),
    sa.Column("actual", sa.Float, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("calibrated", sa.Boolean, nullable=True),
    sa.Column("p_beat", sa.Float, nullable=True),
    sa.UniqueConstraint("fingerprint", "target", "period", "model", name="uq_backtest_row_v2"),
)

#: each backtest origin's member rows under the hash of what they were computed from
#: (forecasting.origin_cache: the code, the origin, the models, the figures released before it);
#: recomputable, so a store of an older layout just gets a new table
origin_rows_table = sa.Table(
    "origin_rows_v1",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(64), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    *_member_columns(),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("uses_indicators", sa.Boolean, nullable=True),
    sa.UniqueConstraint("key", "position", name="uq_origin_row_v1"),
)

#: One row per job run, written before the work (forecasting.job_runs): ``id`` is
#: ``<job>:v<version>``; ``owner`` the process lease of the process running it.
job_runs_table = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("job", sa.String(48), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("period", sa.String(7), nullable=True),
    sa.Column("targets", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.UniqueConstraint("job", "version", name="uq_job_run_version"),
)

meta_table = sa.Table(
    "service_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
