"""The identity model: the balance implied by the exports and imports y/y forecasts.

For a target period ``t`` with year-earlier levels ``X'``, ``M'`` and balance ``B'`` (the
base: the same period a year earlier, or for 2020-02 January plus February 2019,
:func:`models.periods.year_earlier_periods`)::

    B_t = X'(1 + gx/100) − M'(1 + gm/100) = B' + X'·gx/100 − M'·gm/100

The second form is used when ``B'`` is known (always, in practice): ``B'`` is the first-release
balance itself, so a common error in the levels (derived levels drift by ~1% over a decade,
``forecasting.levels``) moves the forecast only by that share of ``X'·gx − M'·gm``, not of
the whole balance.

**Intervals** come from the joint past errors of the two y/y forecasts (errors known at the
origin: periods first released before ``as_of``), so their correlation is kept: each past
period ``j`` gives a pair of standardised errors ``(ex_j/sx_j, em_j/sm_j)`` (error over the
forecast's own sd, read from its 80% band); the draws ``B(gx + zx_j·sx, gm + zm_j·sm)`` at the
current forecasts' sds ``sx``, ``sm`` give the interval bounds as empirical quantiles. Scaling
by each forecast's sd lets the same errors serve every horizon (the bands widen with it). With
fewer than ``min_pairs`` past pairs, the interval is Gaussian with the two sds and the
correlation ``DEFAULT_CORRELATION``.

Pure functions over frames: the use-case layer supplies the y/y forecast rows, their past
rows with actuals, and the levels known at the origin (see :func:`identity_bases`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.levels import BALANCE_SERIES, level_table, solve_levels
from models.base import interval_columns, nest_intervals
from models.gaussian import norm_ppf
from models.periods import year_earlier_periods

__all__ = [
    "BASE_COLUMNS",
    "DEFAULT_CORRELATION",
    "IDENTITY_MODEL",
    "JOINT_ERROR_COLUMNS",
    "MIN_PAIRS",
    "WINDOW",
    "identity_at",
    "identity_backtest",
    "identity_bases",
    "identity_forecast",
    "implied_balance",
    "joint_errors",
    "sd_from_band",
]

IDENTITY_MODEL = "identity"
BASE_COLUMNS = ("period", "x_base", "m_base", "b_base")
JOINT_ERROR_COLUMNS = ("period", "ex", "em", "sx", "sm")
#: past error pairs used (the most recent); below MIN_PAIRS the Gaussian fallback applies
WINDOW = 60
MIN_PAIRS = 12
#: correlation of the exports and imports y/y errors for the Gaussian fallback: that of the
#: two ensembles' errors over 2010–2018 (0.24, benchmarks/balance_eval.py)
DEFAULT_CORRELATION = 0.25


def sd_from_band(lo: object, hi: object, level: int = 80) -> np.ndarray:
    """The Gaussian sd a central ``level``% band ``[lo, hi]`` implies."""
    z = float(norm_ppf(0.5 + level / 200))
    return (np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)) / (2 * z)


def implied_balance(
    x_base: object, m_base: object, gx: object, gm: object, b_base: object = None
) -> np.ndarray:
    """``B' + X'·gx/100 − M'·gm/100`` (``X'(1+gx/100) − M'(1+gm/100)`` where ``b_base`` is
    None or NaN). Broadcasts over arrays."""
    x, m = np.asarray(x_base, dtype=float), np.asarray(m_base, dtype=float)
    gx, gm = np.asarray(gx, dtype=float) / 100.0, np.asarray(gm, dtype=float) / 100.0
    levels_form = x * (1 + gx) - m * (1 + gm)
    if b_base is None:
        return levels_form
    b = np.asarray(b_base, dtype=float)
    return np.where(np.isfinite(b), b + x * gx - m * gm, levels_form)


def identity_bases(info: pd.DataFrame, periods: Sequence[str]) -> pd.DataFrame:
    """The year-earlier levels and balance of each target period, from an information set
    (its ``exports_usd_bn`` / ``imports_usd_bn`` rows, stated or derived, and
    ``balance_usd_bn``).

    Returns:
        DataFrame with columns ``period, x_base, m_base, b_base`` (NaN where a month of the
        base is missing), one row per period.
    """
    table = level_table(info)
    balance = info[info["series"] == BALANCE_SERIES].set_index("period")["value"].astype(float)
    rows = []
    for period in periods:
        base = [str(b) for b in year_earlier_periods(pd.Period(period, freq="M"))]
        rows.append(
            {
                "period": str(period),
                "x_base": _sum(table["exports_usd_bn"], base),
                "m_base": _sum(table["imports_usd_bn"], base),
                "b_base": _sum(balance, base),
            }
        )
    return pd.DataFrame(rows, columns=list(BASE_COLUMNS))


def _sum(values: pd.Series, keys: Sequence[str]) -> float:
    got = [values.get(k, np.nan) for k in keys]
    return float(np.sum(got)) if all(pd.notna(v) for v in got) else float("nan")


def joint_errors(
    exports: pd.DataFrame,
    imports: pd.DataFrame,
    released: Mapping[str, date] | pd.Series,
    as_of: date,
) -> pd.DataFrame:
    """The past error pairs an identity forecast made at ``as_of`` may use.

    Args:
        exports, imports: one model's rows for each y/y target (``period, yhat, yhat_lo_80,
            yhat_hi_80, actual``; e.g. the ensemble's backtest rows), one row per period.
        released: period -> first release date (of the y/y prints; the two targets share a
            release).
        as_of: only periods released before it count.

    Returns:
        DataFrame with columns ``period, ex, em, sx, sm`` (errors actual − forecast and the
        forecasts' sds, % points), for the periods both targets have, sorted by period.
    """
    cols = ["period", "yhat", "yhat_lo_80", "yhat_hi_80", "actual"]
    both = exports.loc[:, cols].merge(imports.loc[:, cols], on="period", suffixes=("_x", "_m"))
    both = both.dropna()
    known = both["period"].map(lambda p: released.get(p)) if len(both) else both["period"]
    both = both[[d is not None and pd.notna(d) and d < as_of for d in known]]
    out = pd.DataFrame(
        {
            "period": both["period"].astype(str),
            "ex": both["actual_x"] - both["yhat_x"],
            "em": both["actual_m"] - both["yhat_m"],
            "sx": sd_from_band(both["yhat_lo_80_x"], both["yhat_hi_80_x"]),
            "sm": sd_from_band(both["yhat_lo_80_m"], both["yhat_hi_80_m"]),
        }
    )
    return out.sort_values("period").reset_index(drop=True).loc[:, list(JOINT_ERROR_COLUMNS)]


def identity_forecast(
    exports: pd.DataFrame,
    imports: pd.DataFrame,
    bases: pd.DataFrame,
    errors: pd.DataFrame,
    *,
    levels: tuple[int, ...] = (80, 95),
    window: int = WINDOW,
    min_pairs: int = MIN_PAIRS,
    correlation: float = DEFAULT_CORRELATION,
) -> pd.DataFrame:
    """The balance implied by the exports and imports forecasts (see the module docstring).

    Args:
        exports, imports: forecast rows (``period, yhat, yhat_lo_80, yhat_hi_80``) of the two
            y/y targets for the periods to forecast.
        bases: :func:`identity_bases` of those periods.
        errors: :func:`joint_errors` known at the origin (the last ``window`` are used).

    Returns:
        DataFrame with the contract columns ``period, yhat, yhat_lo_{L}, yhat_hi_{L}`` for each
        of ``levels``, one row per period the two forecasts and the bases all have, in period
        order.
    """
    cols = ["period", "yhat", "yhat_lo_80", "yhat_hi_80"]
    rows = exports.loc[:, cols].merge(imports.loc[:, cols], on="period", suffixes=("_x", "_m"))
    rows = rows.merge(bases, on="period").sort_values("period")
    rows = rows.dropna(subset=["yhat_x", "yhat_m", "x_base", "m_base"])
    past = errors.dropna().tail(window)
    zx = (past["ex"] / past["sx"]).to_numpy(dtype=float)
    zm = (past["em"] / past["sm"]).to_numpy(dtype=float)
    ok = np.isfinite(zx) & np.isfinite(zm)
    zx, zm = zx[ok], zm[ok]
    out = []
    for r in rows.itertuples(index=False):
        sx = float(sd_from_band(r.yhat_lo_80_x, r.yhat_hi_80_x))
        sm = float(sd_from_band(r.yhat_lo_80_m, r.yhat_hi_80_m))
        yhat = float(implied_balance(r.x_base, r.m_base, r.yhat_x, r.yhat_m, r.b_base))
        record: dict[str, object] = {"period": r.period, "yhat": yhat}
        if len(zx) >= min_pairs:
            draws = implied_balance(
                r.x_base, r.m_base, r.yhat_x + zx * sx, r.yhat_m + zm * sm, r.b_base
            )
            for level in levels:
                q = (1 - level / 100) / 2
                record[f"yhat_lo_{level}"], record[f"yhat_hi_{level}"] = np.quantile(
                    draws, [q, 1 - q]
                )
        else:
            a, b = r.x_base * sx / 100.0, r.m_base * sm / 100.0
            sd = float(np.sqrt(max(a * a + b * b - 2 * correlation * a * b, 0.0)))
            for level in levels:
                z = float(norm_ppf(0.5 + level / 200))
                record[f"yhat_lo_{level}"], record[f"yhat_hi_{level}"] = (
                    yhat - z * sd,
                    yhat + z * sd,
                )
        out.append(record)
    frame = pd.DataFrame(out, columns=["period", "yhat", *interval_columns(levels)])
    nest_intervals(frame, levels)
    return frame.reset_index(drop=True)


def identity_at(
    observations: pd.DataFrame,
    as_of: date,
    exports: pd.DataFrame,
    imports: pd.DataFrame,
    past_exports: pd.DataFrame,
    past_imports: pd.DataFrame,
    *,
    levels: tuple[int, ...] = (80, 95),
    window: int = WINDOW,
    min_pairs: int = MIN_PAIRS,
    correlation: float = DEFAULT_CORRELATION,
) -> pd.DataFrame:
    """The identity forecast made at ``as_of`` (the live member: ``forecast`` and ``run``).

    Args:
        observations: the store's rows (all vintages); the levels and balances are those
            released before ``as_of`` (levels: :func:`forecasting.levels.solve_levels`, the same
            values the store's derived rows carry, within their emission tolerance).
        exports, imports: the y/y forecasts made at ``as_of`` (``period, yhat, yhat_lo_80,
            yhat_hi_80``) for the periods to forecast (e.g. the ensembles' rows).
        past_exports, past_imports: the same model's earlier rows with ``actual`` (e.g. its
            backtest rows); only periods released before ``as_of`` are used.

    Returns:
        :func:`identity_forecast`'s frame.
    """
    from forecasting.observations import first_release_dates, information_set

    info = information_set(observations, as_of)
    solved = solve_levels(observations, as_of - timedelta(days=1))
    info = pd.concat(
        [info[~info["series"].isin(["exports_usd_bn", "imports_usd_bn"])], solved],
        ignore_index=True,
    )
    periods = sorted(set(exports["period"].astype(str)) & set(imports["period"].astype(str)))
    bases = identity_bases(info, periods)
    released = first_release_dates(observations, "exports_yoy").to_dict()
    errors = joint_errors(past_exports, past_imports, released, as_of)
    return identity_forecast(
        exports,
        imports,
        bases,
        errors,
        levels=levels,
        window=window,
        min_pairs=min_pairs,
        correlation=correlation,
    )


def identity_backtest(
    exports: pd.DataFrame,
    imports: pd.DataFrame,
    observations: pd.DataFrame,
    *,
    model: str = "ensemble",
    window: int = WINDOW,
    min_pairs: int = MIN_PAIRS,
    correlation: float = DEFAULT_CORRELATION,
) -> pd.DataFrame:
    """The identity member's backtest rows from the two y/y backtests.

    For each origin (``period, as_of``) of ``model``'s exports rows that the imports rows
    share, the identity forecast with the levels and balances known at ``as_of`` (the
    information set: figures released before it, with the levels they pin down,
    :func:`forecasting.levels.solve_levels`) and the error pairs of periods released before
    ``as_of``.

    Args:
        exports, imports: backtest frames (``forecasting.backtest.run_backtest``; columns
            ``period, model, as_of, yhat, yhat_lo_80, yhat_hi_80, actual``).
        observations: the store's rows (all vintages).

    Returns:
        ``target, period, model, as_of, yhat, yhat_lo_80, yhat_hi_80, yhat_lo_95, yhat_hi_95,
        actual`` with ``target = "balance_usd_bn"``, ``model = "identity"`` and ``actual`` the
        first-release balance, one row per origin.
    """
    from forecasting.observations import first_release_actuals

    ex = exports[exports["model"] == model]
    im = imports[imports["model"] == model]
    actual = first_release_actuals(observations, BALANCE_SERIES)
    out = []
    for (period, as_of), ex_rows in ex.groupby(["period", "as_of"], sort=True):
        as_of = pd.Timestamp(as_of).date()
        im_rows = im[(im["period"] == period) & (pd.to_datetime(im["as_of"]).dt.date == as_of)]
        if im_rows.empty:
            continue
        fc = identity_at(
            observations,
            as_of,
            ex_rows,
            im_rows,
            ex,
            im,
            window=window,
            min_pairs=min_pairs,
            correlation=correlation,
        )
        if not fc.empty:
            out.append(fc.assign(target=BALANCE_SERIES, model=IDENTITY_MODEL, as_of=as_of))
    if not out:
        return pd.DataFrame(columns=["target", "period", "model", "as_of", "yhat", "actual"])
    frame = pd.concat(out, ignore_index=True)
    frame["actual"] = frame["period"].map(actual)
    cols = ["target", "period", "model", "as_of", "yhat", *interval_columns((80, 95)), "actual"]
    return frame.loc[:, cols]
