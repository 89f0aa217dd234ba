"""Derived figures kept in the store: the monthly USD levels the data implies.

Customs reports state exports and imports in USD bn only now and then; the y/y rates and the
balances pin most of the others down (:func:`forecasting.levels.derive_levels`). Those are
stored as their own rows, each with the release it is derivable from and a ``source`` that
starts with ``derived:`` and says how, never as reported figures. They are regenerated
whenever the stated figures change (a fingerprint of them is kept in ``service_meta``): a
late figure can move an old derivation, so derived rows are replaced, never appended to.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from forecasting.balance_check import balance_discrepancies, describe_discrepancy
from forecasting.db import read_meta, write_meta, write_transaction
from forecasting.levels import derive_levels, input_rows
from forecasting.observations import (
    DERIVED_PREFIX,
    DERIVED_SERIES,
    derived_mask,
    insert_rows,
    stored_rows,
)
from forecasting.tables import observations_table

__all__ = ["refresh_derived_levels"]

_META_KEY = "derived_levels_of"
_REPORTED_KEY = "balance_discrepancies_reported"


def _fingerprint(frame) -> str:  # noqa: ANN001 - a stored-rows frame
    f = frame.sort_values(["series", "period", "released"])
    text = f.loc[:, ["series", "period", "value", "released"]].to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def refresh_derived_levels(engine: sa.Engine) -> list[str]:
    """Regenerate the derived level rows if the stated figures changed since the last time.

    Returns:
        a line per balance that disagrees with the stated levels beyond rounding (which row,
        by how much) and was not reported before; else nothing.
    """
    with write_transaction(engine) as conn:
        rows = stored_rows(conn)
        stated = rows[~derived_mask(rows)]
        mark = _fingerprint(input_rows(stated))  # an indicator's import changes nothing here
        if read_meta(conn, _META_KEY) == mark:
            return []
        derived = derive_levels(stated.drop(columns="id"))
        t = observations_table.c
        conn.execute(  # only the service's own rows: a derived: source elsewhere is a user's
            observations_table.delete().where(
                t.source.like(f"{DERIVED_PREFIX}%") & t.series.in_(DERIVED_SERIES)
            )
        )
        insert_rows(conn, derived.loc[:, ["series", "period", "value", "released", "source"]])
        write_meta(conn, _META_KEY, mark)
        found = balance_discrepancies(stated)
        lines = {str(r["period"]): describe_discrepancy(r) for _, r in found.iterrows()}
        reported = set(json.loads(read_meta(conn, _REPORTED_KEY) or "[]"))
        write_meta(conn, _REPORTED_KEY, json.dumps(sorted(reported | set(lines))))
    # each disagreement is told once (on the start that first sees it), not on every import
    return [line for period, line in sorted(lines.items()) if period not in reported]
