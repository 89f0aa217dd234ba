"""Rich tables for the CLI (presentation only)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

__all__ = ["frame_table", "observations_table"]

SOURCE_CHARS = 38


def _short(text: str, n: int = SOURCE_CHARS) -> str:
    text = text.removeprefix("GACC via news: ").removeprefix("https://").removeprefix("http://")
    return text if len(text) <= n else text[: n - 1] + "…"


def observations_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=f"{title} ({len(frame)} rows)")
    for col in ("series", "period", "value", "released", "source"):
        table.add_column(col, justify="right" if col == "value" else "left", no_wrap=True)
    for r in frame.sort_values(["series", "period"]).itertuples():
        table.add_row(r.series, r.period, f"{r.value:g}", str(r.released), _short(r.source))
    return table


def frame_table(frame: pd.DataFrame, title: str, floats: str = "{:.2f}") -> Table:
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(
            str(col), justify="right" if frame[col].dtype.kind in "fi" else "left", no_wrap=True
        )
    for rec in frame.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append("" if pd.isna(v) else floats.format(v))
            else:
                cells.append("" if v is None else str(v))
        table.add_row(*cells)
    return table
