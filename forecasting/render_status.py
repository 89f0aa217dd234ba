"""Rich renderables for how current the data is and for the last release with a consensus
(presentation only; cells are ``Text``, never read as markup)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.table import Table
from rich.text import Text

__all__ = ["last_release_renderables", "status_renderables"]

_BASIS = {"data": "", "calendar": "GACC calendar", "estimated": "estimated", "rule": "rule"}


def _signed(v: object, spec: str = "{:+.1f}") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "–"
    return spec.format(v)


def _due_text(due) -> str:  # noqa: ANN001 - a data_status.Due
    basis = _BASIS.get(due.basis, due.basis)
    return f"{due.period} ({due.release}{', ' + basis if basis else ''})"


def status_renderables(status, inbox: Path | None = None) -> list:  # noqa: ANN001 - DataStatus
    """The series table, the targets' next releases with their consensus, the snapshot
    versions and the lines to type."""
    out: list = []
    table = Table(title=Text(f"data status on {status.today}"))
    for col in ("series", "last stored", "released", "next due (expected)", "status"):
        table.add_column(col, no_wrap=col != "status")
    for s in status.series:
        if s.last_period is None:
            state = "nothing stored"
        elif not s.tracked:
            state = "stored where a report states it (not tracked)"
        elif s.overdue:
            state = "OVERDUE: " + ", ".join(_due_text(d) for d in s.overdue[:4])
            state += f" … ({len(s.overdue)} periods)" if len(s.overdue) > 4 else ""
        else:
            state = "up to date"
        table.add_row(
            Text(s.series),
            Text(s.last_period or "–"),
            Text(str(s.last_released or "–")),
            Text("–" if s.next_due is None else _due_text(s.next_due)),
            Text(state, style="bold red" if s.overdue else ""),
        )
    out.append(table)
    targets = [s for s in status.series if s.next_release is not None]
    if targets:
        nxt = Table(title=Text("next release and the consensus known for it"))
        for col in ("target", "next release", "consensus"):
            nxt.add_column(col, no_wrap=True)
        for s in targets:
            c = s.consensus
            known = (
                "none stored"
                if c is None
                else f"{c.value:+g} ({c.source}"
                + (f", polled {c.polled_on}" if c.polled_on else "")
                + ")"
            )
            nxt.add_row(Text(s.series), Text(_due_text(s.next_release)), Text(known))
        out.append(nxt)
    loaded = status.snapshot_loaded or "none recorded"
    out.append(Text(f"bundled data snapshot {status.snapshot_bundled}; store loaded from {loaded}"))
    if status.lines:
        out.append(Text("To bring the store up to date, type (replace each <...>):", style="bold"))
        out.extend(Text("  " + line) for line in status.lines)
        if any(d.basis == "estimated" for s in status.overdue for d in s.overdue):
            out.append(
                Text(
                    "Release dates marked 'estimated' come from the calendar rule: type the "
                    "day the figures were actually published."
                )
            )
        if inbox is not None:
            out.append(Text(f"Or drop CSV files into the inbox: {inbox}"))
    else:
        out.append(Text("Nothing is overdue."))
    return out


def last_release_renderables(result) -> list:  # noqa: ANN001 - LastReleaseResult
    """Per release: a heading with each target's actual against the consensus, then each
    model's forecast made before it, who was closer and P(beat) as it was."""
    out: list = []
    for target, period in getattr(result, "stale", {}).items():
        out.append(
            Text(
                f"{target}: no recent consensus poll (the last one stored is for {period}; "
                f"`forecasting compare --target {target}` scores the models against the polls)",
                "dim",
            )
        )
    if not result.releases:
        out.append(Text("no release yet has both a consensus and an actual in the store"))
        return out
    for period, group in result.by_period().items():
        out.append(
            Text(f"last release with a consensus: {period}, released {group[0].release}", "bold")
        )
        out.extend(
            Text(
                f"  {r.target} actual {r.actual:+.1f} vs consensus {r.consensus:+.1f} ({r.source})",
                "bold",
            )
            for r in group
        )
        table = Table(title=Text("each model's forecast made before it, from " + _made_by(group)))
        table.add_column("model", no_wrap=True)
        for r in group:
            for col in ("forecast", "P(beat)", "closer"):
                table.add_column(f"{_short(r.target)} {col}", justify="right", no_wrap=True)
        models = list(dict.fromkeys(m for r in group for m in r.rows["model"]))
        for model in models:
            cells = [Text(model)]
            for r in group:
                row = r.rows[r.rows["model"] == model]
                if row.empty:
                    cells += [Text("–")] * 3
                    continue
                x = row.iloc[0]
                cells += [
                    Text(_signed(x["yhat"])),
                    Text(_signed(x["p_beat"], "{:.0%}")),
                    Text(str(x["closer"])),
                ]
            table.add_row(*cells)
        out.append(table)
        for r in group:
            ens = r.headline
            if ens is None:
                continue
            beat = "beat" if r.actual > r.consensus else "did not beat"
            out.append(
                Text(
                    f"{r.target}: {ens['model']} {ens['yhat']:+.1f} vs consensus "
                    f"{r.consensus:+.1f}, actual {r.actual:+.1f}: the "
                    f"{'model' if ens['closer'] == 'model' else 'consensus'} was closer; "
                    f"P(beat) was {_signed(ens['p_beat'], '{:.0%}')} and the print {beat} "
                    "the consensus"
                )
            )
    return out


def _made_by(group: list) -> str:
    from forecasting.usecases.last_release import MADE_BY

    texts = []
    for r in group:
        text = MADE_BY[r.made_by]
        if r.made_by != "ledger":
            text += f" (figures released before {r.eve})"
        texts.append(text)
    if len(set(texts)) == 1:
        return texts[0]
    return "; ".join(f"{r.target}: {t}" for r, t in zip(group, texts, strict=True))


def _short(target: str) -> str:
    return target.removesuffix("_yoy").removesuffix("_usd_bn")
