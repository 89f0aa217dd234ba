"""Pictures: forecast vs actual, residuals, and the fan chart (PNG files, matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

__all__ = ["fan_chart_png", "forecast_vs_actual_png", "residuals_png", "scoreboard_png"]


def _finish(fig: plt.Figure, ax: plt.Axes, title: str, path: Path, unit: str = "% y/y") -> Path:
    """Zero line, title, axis label (``unit``) and legend; save the PNG and free the figure."""
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    """Lay out and save the PNG, then free the figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _x(periods: pd.Series) -> pd.DatetimeIndex:
    return pd.PeriodIndex(periods.astype(str), freq="M").to_timestamp()


def forecast_vs_actual_png(
    rows: pd.DataFrame,
    title: str,
    path: Path,
    consensus: pd.Series | None = None,
    unit: str = "% y/y",
) -> Path:
    """Backtest rows of one model: actual, forecast and its 80%/95% bands (and consensus)."""
    rows = rows.sort_values("period")
    x = _x(rows["period"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for level, alpha in ((95, 0.12), (80, 0.25)):
        ax.fill_between(
            x,
            rows[f"yhat_lo_{level}"],
            rows[f"yhat_hi_{level}"],
            color="tab:blue",
            alpha=alpha,
            label=f"{level}% interval",
        )
    ax.plot(x, rows["yhat"], "o-", color="tab:blue", ms=3, lw=1, label="forecast")
    ax.plot(x, rows["actual"], "s-", color="black", ms=3, lw=1, label="actual (first release)")
    if consensus is not None and not consensus.empty:
        c = consensus.reindex(rows["period"].to_numpy())
        ax.plot(x, c.to_numpy(), "D", color="tab:orange", ms=4, label="consensus")
    return _finish(fig, ax, title, path, unit)


def residuals_png(rows: pd.DataFrame, title: str, path: Path) -> Path:
    rows = rows[rows["yhat"].notna() & rows["actual"].notna()].sort_values("period")
    resid = rows["actual"] - rows["yhat"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 1]})
    ax1.bar(
        _x(rows["period"]),
        resid,
        width=20,
        color=["tab:red" if r < 0 else "tab:green" for r in resid],
    )
    ax1.axhline(0, color="black", lw=0.5)
    ax1.set_title(f"{title}: actual − forecast")
    ax2.hist(resid, bins=20, color="grey")
    ax2.set_title("distribution")
    return _save(fig, path)


def fan_chart_png(
    history: pd.Series,
    forecast: pd.DataFrame,
    title: str,
    path: Path,
    *,
    consensus: float | None = None,
    actual: float | None = None,
    months_shown: int = 48,
    unit: str = "% y/y",
) -> Path:
    """History, the ensemble's forecast path with 80%/95% fans, consensus and actual points.

    ``forecast`` has ``period, yhat, yhat_lo_80, yhat_hi_80, yhat_lo_95, yhat_hi_95`` rows for
    the periods ahead; the last row is the release being forecast.
    """
    h = history.dropna().iloc[-months_shown:]
    fx = _x(forecast["period"])
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(h.index.to_timestamp(), h.to_numpy(), "-", color="black", lw=1.2, label="history")
    # join the fan to the last observation
    x0 = [h.index[-1].to_timestamp(), *fx]
    y0 = float(h.iloc[-1])
    for level, alpha in ((95, 0.15), (80, 0.3)):
        ax.fill_between(
            x0,
            [y0, *forecast[f"yhat_lo_{level}"]],
            [y0, *forecast[f"yhat_hi_{level}"]],
            color="tab:blue",
            alpha=alpha,
            label=f"{level}% interval",
        )
    ax.plot(x0, [y0, *forecast["yhat"]], "o-", color="tab:blue", ms=4, label="forecast")
    last = fx[-1]
    if consensus is not None:
        ax.plot(
            [last], [consensus], "D", color="tab:orange", ms=8, label=f"consensus {consensus:+.1f}"
        )
    if actual is not None:
        ax.plot([last], [actual], "*", color="tab:red", ms=12, label=f"actual {actual:+.1f}")
    return _finish(fig, ax, title, path, unit)


def scoreboard_png(board: pd.DataFrame, title: str, path: Path) -> Path:
    """Each model's MAE against the consensus's (bars; the consensus as a line), with the
    win rate and the surprise-direction hit rate written beside each bar."""
    models = board.drop(index="consensus", errors="ignore").sort_values("mae")
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(models) + 1.8))
    y = range(len(models))
    ax.barh(list(y), models["mae"], color="tab:blue", alpha=0.8, label="model MAE")
    if "consensus" in board.index:
        cons = float(board.loc["consensus", "mae"])
        ax.axvline(cons, color="tab:orange", lw=2, label=f"consensus MAE {cons:.2f}")
    for i, rec in enumerate(models.itertuples()):
        note = f"  ratio {rec.mae_ratio:.2f} · win {rec.win_rate:.0%}"
        if pd.notna(rec.direction_hit):
            note += f" · direction {rec.direction_hit:.0%}"
        ax.text(rec.mae, i, note, va="center", fontsize=8)
    ax.set_yticks(list(y), list(models.index))
    ax.invert_yaxis()
    ax.set_xlabel("MAE (first-release actual)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)
