"""Rich tables for the CLI (presentation only). Cells are ``Text``: what a user typed or a
file held is shown literally, never read as markup."""

from __future__ import annotations

import pandas as pd
from rich.table import Table
from rich.text import Text

__all__ = ["frame_table", "observations_table"]

SOURCE_CHARS = 38


def _short(text: str, n: int = SOURCE_CHARS) -> str:
    text = text.removeprefix("GACC via news: ").removeprefix("https://").removeprefix("http://")
    return text if len(text) <= n else text[: n - 1] + "…"


def observations_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=Text(f"{title} ({len(frame)} rows)"))
    for col in ("series", "period", "value", "released", "source"):
        table.add_column(col, justify="right" if col == "value" else "left", no_wrap=True)
    for r in frame.sort_values(["series", "period"]).itertuples():
        cells = (r.series, r.period, value_text(r.value), str(r.released), _short(str(r.source)))
        table.add_row(*map(Text, cells))
    return table


def value_text(value: float) -> str:
    """A stored figure as published: its own decimals, at least one (25 is shown 25.0)."""
    text = f"{value:g}"
    return text if any(c in text for c in ".en") else text + ".0"


def frame_table(frame: pd.DataFrame, title: str, floats: str = "{:.2f}") -> Table:
    table = Table(title=Text(title))
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
                cells.append("" if v is None or v is pd.NA else str(v))
        table.add_row(*map(Text, cells))
    return table


def _fmt(v: object, spec: str = "{:+.1f}") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    return spec.format(v)


def forecast_panel(result) -> list:  # noqa: ANN001 - ForecastResult, imported lazily
    """Renderables for one forecast: header, per-model table, indicators, news."""
    from rich.text import Text

    out: list = []
    rel = result.release
    head = (
        f"{result.target} {result.period} (covers {result.covers}), release "
        f"{rel.date} [{rel.basis}], information released before {result.as_of}"
    )
    out.append(Text(head, style="bold"))
    if result.missing_periods:
        out.append(
            Text(
                f"the store lacks released period(s) {', '.join(result.missing_periods)}: "
                "add them with `forecasting data add`; forecasting over the longer horizon",
                style="yellow",
            )
        )
    table = Table(title=f"consensus: {_fmt(result.consensus)}")
    for col in (
        "model",
        "yhat",
        "80% interval",
        "95% interval",
        "model − consensus",
        "P(beat)",
        "note",
    ):
        table.add_column(
            col, justify="left" if col in ("model", "note") else "right", no_wrap=col != "note"
        )
    for r in result.rows.itertuples():
        table.add_row(
            r.model,
            _fmt(r.yhat),
            f"{_fmt(r.yhat_lo_80)} … {_fmt(r.yhat_hi_80)}",
            f"{_fmt(r.yhat_lo_95)} … {_fmt(r.yhat_hi_95)}",
            _fmt(r.model_minus_consensus),
            _fmt(r.p_beat, "{:.0%}"),
            Text("" if not isinstance(r.error, str) else r.error[:60]),
        )
    out.append(table)
    if result.weights:
        w = ", ".join(
            f"{k} {v:.2f}" for k, v in sorted(result.weights.items(), key=lambda kv: -kv[1])
        )
        out.append(Text(f"ensemble weights (inverse trailing MAE, errors known then): {w}"))
    if result.centred_on:
        out.append(
            Text(
                f"Jan-Feb print: the ensemble is centred on {result.centred_on} (the Lunar New "
                "Year calendar, read from Korea's months); its bands are the weighted "
                "combination's, moved with it"
            )
        )
    if result.indicators is not None and not result.indicators.empty:
        out.append(frame_table(result.indicators, "indicator inputs used"))
    if result.news is not None and not result.news.empty:
        out.append(frame_table(result.news, "news since the previous nowcast (factor model)"))
    return out


def run_table(job) -> Table:  # noqa: ANN001 - a JobResult, imported lazily
    table = Table(title="next release: ensemble forecast vs consensus")
    for col in (
        "target",
        "period",
        "release",
        "forecast",
        "80% interval",
        "consensus",
        "model − consensus",
        "P(beat)",
        "champion",
    ):
        table.add_column(
            col,
            justify="left" if col in ("target", "period", "release", "champion") else "right",
            no_wrap=True,
        )
    for r in job.runs:
        fc = r.forecast
        ens = fc.ensemble
        table.add_row(
            fc.target,
            fc.covers,
            f"{fc.release.date} ({fc.release.basis})",
            _fmt(None if ens is None else ens["yhat"]),
            "–" if ens is None else f"{_fmt(ens['yhat_lo_80'])} … {_fmt(ens['yhat_hi_80'])}",
            _fmt(fc.consensus),
            _fmt(None if ens is None else ens["model_minus_consensus"]),
            _fmt(None if ens is None else ens["p_beat"], "{:.0%}"),
            r.champion or "–",
        )
    return table
