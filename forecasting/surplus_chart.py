"""The cumulative surplus by month against the previous years (a PNG, matplotlib Agg)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from forecasting.surplus import SurplusProjection
from models.periods import full_year_periods

__all__ = ["cumulative_path", "surplus_chart"]


def cumulative_path(balances: Mapping[str, float], year: int) -> tuple[list[int], list[float]]:
    """(months, cumulative balance) of ``year``'s released target periods in order, stopping
    at the first missing one; a combined Jan–Feb counts at month 2."""
    months, values, total = [], [], 0.0
    for period in full_year_periods(year):
        value = balances.get(str(period))
        if value is None or not np.isfinite(value):
            break
        total += float(value)
        months.append(period.month)
        values.append(total)
    return months, values


def surplus_chart(
    projection: SurplusProjection,
    balances: Mapping[str, float],
    path: Path,
    *,
    years_back: int = 5,
) -> Path:
    """Write the chart of ``projection.year``'s cumulative surplus (released months, then the
    projected months dashed, with the full-year 80% and 95% intervals at December) against
    the ``years_back`` previous years (``balances``: period text -> first-release balance).

    Returns:
        ``path`` (its folder is created).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    year = projection.year
    fig, ax = plt.subplots(figsize=(8, 5))
    greys = np.linspace(0.8, 0.45, years_back)
    for shade, past in zip(greys, range(year - years_back, year), strict=True):
        months, values = cumulative_path(balances, past)
        if months:
            ax.plot(months, values, color=str(shade), lw=1.2, label=str(past))
    months, values = cumulative_path(balances, year)
    if months:
        ax.plot(months, values, color="tab:red", lw=2.4, marker="o", label=f"{year} released")
    if not projection.remaining.empty:
        forecast = dict(
            zip(projection.remaining["period"], projection.remaining["yhat"], strict=True)
        )
        proj_m, proj_v, total = [], [], 0.0
        for period in full_year_periods(year):
            value = balances.get(str(period), forecast.get(str(period)))
            if value is None:
                break
            total += float(value)
            proj_m.append(period.month)
            proj_v.append(total)
        released_after_gap = [
            (m, v)
            for period, m, v in zip(full_year_periods(year), proj_m, proj_v, strict=False)
            if m not in months and str(period) in balances
        ]
        if released_after_gap:  # released months after a month without a balance
            ax.plot(*zip(*released_after_gap, strict=True), "o", color="tab:red")
        keep = max(len(months) - 1, 0)  # start the dashed line at the last solid point
        ax.plot(
            proj_m[keep:],
            proj_v[keep:],
            color="tab:red",
            lw=1.8,
            ls="--",
            label=f"{year} projected",
        )
        for level, width, alpha in ((95, 1.2, 0.45), (80, 3.5, 0.9)):
            lo = projection.total - getattr(projection, f"total_lo_{level}")
            hi = getattr(projection, f"total_hi_{level}") - projection.total
            ax.errorbar(
                [12.15],
                [projection.total],
                yerr=[[lo], [hi]],
                color="tab:red",
                lw=width,
                alpha=alpha,
                capsize=4 if level == 95 else 0,
                label=f"{level}% interval",
            )
    if projection.record is not None:
        ax.axhline(projection.record, color="black", lw=0.8, ls=":")
        ax.text(
            1.1,
            projection.record,
            f"record {projection.record:,.1f} ({projection.record_year})",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
    ax.set_ylabel("cumulative trade balance, USD bn")
    title = f"China's trade surplus {year}, cumulative by month (first releases)"
    if projection.p_record is not None and not projection.complete:
        title += f"\nprojection {projection.total:,.1f} bn; P(record) {projection.p_record:.0%}"
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
