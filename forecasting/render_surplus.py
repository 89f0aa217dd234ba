"""Rich renderables for the year's surplus (presentation only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

__all__ = ["surplus_panel"]


def _bn(value: float | None, spec: str = "{:,.1f}") -> str:
    return "–" if value is None or pd.isna(value) else spec.format(value)


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:+.1f}%"


def surplus_panel(p: Any) -> list:  # a forecasting.surplus.SurplusProjection
    """The months released, the months forecast, the full-year projection and the record."""
    out: list = []
    head = f"{p.year} trade surplus (USD bn), figures released before {p.as_of}"
    out.append(Text(head, style="bold"))
    table = Table(title=Text(f"released: {len(p.released)} period(s), sum {_bn(p.released_sum)}"))
    for col in ("period", "balance", "released"):
        table.add_column(col, justify="right" if col == "balance" else "left")
    for rec in p.released.itertuples(index=False):
        table.add_row(str(rec[0]), _bn(rec[1], "{:,.2f}"), str(rec[2]))
    if len(p.released):
        out.append(table)
    if not p.remaining.empty:
        title = f"to come: {len(p.remaining)} period(s), forecast by seasonal_arima"
        rest = Table(title=Text(title))
        for col in ("period", "forecast", "80% interval"):
            rest.add_column(col, justify="left" if col == "period" else "right")
        for rec in p.remaining.itertuples(index=False):
            rest.add_row(
                str(rec.period),
                _bn(rec.yhat),
                f"{_bn(rec.yhat_lo_80)} … {_bn(rec.yhat_hi_80)}",
            )
        out.append(rest)
    if p.complete:
        line = f"full year {p.year}: {_bn(p.total)}"
    else:
        line = (
            f"full year {p.year}: {_bn(p.total)} (80% {_bn(p.total_lo_80)} … "
            f"{_bn(p.total_hi_80)}; 95% {_bn(p.total_lo_95)} … {_bn(p.total_hi_95)})"
        )
    out.append(Text(line, style="bold"))
    record = (
        f"last year {_bn(p.previous_total)}; record {_bn(p.record)}"
        + (f" ({p.record_year})" if p.record_year else "")
        + (f"; P(full year > record) {p.p_record:.0%}" if p.p_record is not None else "")
    )
    out.append(Text(record))
    growth = (
        f"exports {_pct(p.exports_growth)}, imports {_pct(p.imports_growth)} (full year)"
        if p.exports_growth is not None or p.imports_growth is not None
        else f"exports {_pct(p.exports_growth_ytd)}, imports {_pct(p.imports_growth_ytd)} "
        "(year to date)"
    )
    out.append(Text(f"growth in USD: {growth}"))
    if p.method:
        out.append(Text(p.method, style="dim"))
    return out
