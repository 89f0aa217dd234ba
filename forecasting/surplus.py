"""The year's trade surplus: months released so far, the projection, and P(record).

``project_surplus`` is the pure function behind ``forecasting surplus`` (the use case is
:mod:`forecasting.usecases.surplus`): given the balances
first released for a year (as known at ``as_of``), the forecasts of the year's remaining target
periods, the previous years' totals and the levels, it returns a :class:`SurplusProjection`.

**Totals** are sums of first releases (the headline each month; from 2020 the ``YYYY-02`` row
is the Jan–Feb total, so a year has 11 target periods). 2025's first releases sum to
1,194.2 bn, 2024's to 993.1 bn.

**Joint paths** (:func:`simulate_paths`): the remaining months' errors are correlated (a
surprise in one month tends to persist), so the full-year interval is not the sum of the
monthly ones. Each remaining month's forecast gives a split-normal marginal (the sd below and
above ``yhat`` read from the 80% band); the months are joined by a Gaussian copula with
correlation ``rho ** |i − j|`` between the i-th and j-th remaining months (``rho`` =
``MONTH_CORRELATION``, chosen on 2010–2018 by the log score of the realised totals,
``benchmarks/balance_eval.py``). ``draws`` paths (seeded: the same inputs give the same
numbers) are summed with the released months; the 80%/95% intervals are their quantiles and
``P(total > record)`` the share above the record.

**Full-year growth** of exports and imports (:func:`full_year_growth`): customs computes a
month's y/y against the revised year-earlier level ``X'``, so a year's growth is the
base-weighted mean of the monthly first-release rates, ``Σ X'_t (1 + g_t/100) / Σ X'_t − 1``
(Jan–Feb counted once, on its combined row). With the levels of ``forecasting.levels`` this
gives 2025 exports +5.60% (customs: +5.5%) and imports −0.06% (about flat). For a year in
progress it is the year to date, and the full year when y/y forecasts of the remaining months
are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from forecasting.errors import DataError, ModelError
from forecasting.levels import year_earlier_level
from models.gaussian import Z80
from models.periods import full_year_periods, next_target_periods

__all__ = [
    "DRAWS",
    "MONTH_CORRELATION",
    "SurplusProjection",
    "full_year_growth",
    "project_surplus",
    "simulate_paths",
    "surplus_year_check",
    "unreleased_periods",
    "year_totals",
]

#: correlation of the forecast errors of two consecutive remaining months (``rho``; months
#: k apart: ``rho**k``). Chosen on 2010–2018 (benchmarks/balance_eval.py)
MONTH_CORRELATION = 0.95
DRAWS = 20_000


@dataclass(frozen=True)
class SurplusProjection:
    """The year's surplus as known at ``as_of`` (USD bn; growth in %).

    ``released``: ``period, balance, released`` of the year's first releases so far.
    ``remaining``: the forecasts of the other target periods (``period, yhat, yhat_lo_80,
    yhat_hi_80, yhat_lo_95, yhat_hi_95``). ``total`` is the released sum plus the remaining
    ``yhat``; its bounds and ``p_record`` come from the joint paths (all equal to ``total``,
    and ``p_record`` 0 or 1, once the year is complete). ``record`` is the largest total of a
    complete earlier year in the data (``record_year``); ``previous_total`` last year's total
    (None if last year is incomplete in the data). Growth rates are None where levels or
    rates are missing.
    """

    year: int
    as_of: date
    released: pd.DataFrame
    released_sum: float
    remaining: pd.DataFrame
    total: float
    total_lo_80: float
    total_hi_80: float
    total_lo_95: float
    total_hi_95: float
    previous_total: float | None
    record: float | None
    record_year: int | None
    p_record: float | None
    exports_growth_ytd: float | None = None
    imports_growth_ytd: float | None = None
    exports_growth: float | None = None
    imports_growth: float | None = None
    method: str = field(default="")

    @property
    def complete(self) -> bool:
        return self.remaining.empty

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (periods as text, dates ISO)."""

        def num(x: float | None) -> float | None:
            return None if x is None or not np.isfinite(x) else round(float(x), 3)

        return {
            "year": self.year,
            "as_of": self.as_of.isoformat(),
            "released": [
                {"period": p, "balance": num(b), "released": str(r)}
                for p, b, r in self.released.itertuples(index=False)
            ],
            "released_sum": num(self.released_sum),
            "remaining": [
                {k: (v if k == "period" else num(v)) for k, v in row.items()}
                for row in self.remaining.to_dict("records")
            ],
            "total": num(self.total),
            "total_80": [num(self.total_lo_80), num(self.total_hi_80)],
            "total_95": [num(self.total_lo_95), num(self.total_hi_95)],
            "previous_total": num(self.previous_total),
            "record": num(self.record),
            "record_year": self.record_year,
            "p_record": num(self.p_record),
            "exports_growth_ytd": num(self.exports_growth_ytd),
            "imports_growth_ytd": num(self.imports_growth_ytd),
            "exports_growth": num(self.exports_growth),
            "imports_growth": num(self.imports_growth),
            "complete": self.complete,
            "method": self.method,
        }


def year_totals(balances: Mapping[str, float]) -> dict[int, float]:
    """{year: total} for every year whose target periods all have a balance in ``balances``
    (period text -> first-release balance)."""
    years = sorted({int(p[:4]) for p in balances})
    out = {}
    for year in years:
        values = [balances.get(str(p)) for p in full_year_periods(year)]
        if all(v is not None and np.isfinite(v) for v in values):
            out[year] = float(np.sum(values))
    return out


def unreleased_periods(year: int, balances: Mapping[str, float]) -> list[str]:
    """The target periods of ``year`` without a balance in ``balances``, in order: what
    :func:`project_surplus` needs forecasts for. A gap before a released month (e.g. a month
    whose balance was never stated) counts: forecast it with the rest from an origin just
    before the first of these periods (fit on the history before it), never fill it in."""
    return [str(p) for p in full_year_periods(year) if str(p) not in balances]


def surplus_year_check(year: int, balances: Mapping[str, float], as_of: date) -> None:
    """Raise :class:`DataError` unless ``year`` can be shown or projected from ``balances``
    (period text -> balance released before ``as_of``): a year with no data (before the
    first, or a past year without any month) or a year beyond the horizon (after the year of
    the next target period due)."""
    if not balances:
        raise DataError(f"no balance_usd_bn figures released before {as_of}: nothing to sum")
    first, last = min(balances), max(balances)
    next_period = next_target_periods(pd.Period(last, freq="M"), 1)[0]
    if year > next_period.year:
        raise DataError(
            f"{year} is beyond the forecast horizon: as of {as_of} the latest balance is for "
            f"{last}, so the surplus can be projected up to {next_period.year}"
        )
    has_month = any(p.startswith(f"{year}-") for p in balances)
    if not has_month and year != next_period.year:
        raise DataError(
            f"no balance_usd_bn figures for {year}: the data holds {first}..{last} (as of {as_of})"
        )


def simulate_paths(
    remaining: pd.DataFrame,
    *,
    rho: float = MONTH_CORRELATION,
    draws: int = DRAWS,
    seed: int = 0,
) -> np.ndarray:
    """Joint paths of the remaining months (see the module docstring).

    Args:
        remaining: forecast rows ``period, yhat, yhat_lo_80, yhat_hi_80`` in period order.

    Returns:
        array of shape ``(len(remaining), draws)``.
    """
    n = len(remaining)
    if n == 0:
        return np.zeros((0, draws))
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho}")
    k = np.arange(n)
    corr = rho ** np.abs(k[:, None] - k[None, :])
    chol = np.linalg.cholesky(corr)
    z = chol @ np.random.default_rng(seed).standard_normal((n, draws))
    yhat = remaining["yhat"].to_numpy(dtype=float)[:, None]
    sd_lo = (yhat[:, 0] - remaining["yhat_lo_80"].to_numpy(dtype=float)) / Z80
    sd_hi = (remaining["yhat_hi_80"].to_numpy(dtype=float) - yhat[:, 0]) / Z80
    return yhat + np.where(z < 0, z * sd_lo[:, None], z * sd_hi[:, None])


def full_year_growth(
    yoy: Mapping[str, float], levels: Mapping[str, float], periods: Sequence[pd.Period | str]
) -> float | None:
    """``Σ X'_t (1 + g_t/100) / Σ X'_t − 1`` in % over ``periods`` (``yoy``: period text ->
    y/y %; ``levels``: period text -> level, for the year-earlier bases). None if a rate or a
    base is missing or ``periods`` is empty."""
    bases, grown = [], []
    for p in periods:
        g = yoy.get(str(p))
        base = year_earlier_level(levels, p)
        if g is None or not np.isfinite(g) or base is None:
            return None
        bases.append(base)
        grown.append(base * (1 + g / 100))
    if not bases:
        return None
    return 100.0 * (float(np.sum(grown)) / float(np.sum(bases)) - 1.0)


def project_surplus(  # noqa: PLR0913 - one projection, all its inputs
    year: int,
    as_of: date,
    balances: pd.DataFrame,
    remaining: pd.DataFrame | None = None,
    *,
    levels: Mapping[str, Mapping[str, float]] | None = None,
    yoy: Mapping[str, Mapping[str, float]] | None = None,
    yoy_forecasts: Mapping[str, Mapping[str, float]] | None = None,
    rho: float = MONTH_CORRELATION,
    draws: int = DRAWS,
    seed: int = 0,
) -> SurplusProjection:
    """The year's surplus so far and its projection.

    Args:
        year: the calendar year.
        as_of: the information date (the balances were released before it).
        balances: ``period, value, released``: each period's first-release balance known at
            ``as_of`` (e.g. ``first_release_actuals`` of ``balance_usd_bn`` on the rows
            released before ``as_of``), any years.
        remaining: balance forecasts (``period, yhat, yhat_lo_80, yhat_hi_80, yhat_lo_95,
            yhat_hi_95``) covering every target period of ``year`` not in ``balances`` (may
            be None for a complete year).
        levels: {"exports_usd_bn": {period: level}, "imports_usd_bn": {...}} known at
            ``as_of`` (stated or derived), for the growth rates.
        yoy: {"exports_yoy": {period: rate}, "imports_yoy": {...}}: first releases.
        yoy_forecasts: the same for the remaining periods (forecasts), for the projected
            full-year growth.

    Raises:
        DataError: a year with no data or beyond the horizon (:func:`surplus_year_check`).
        ModelError: a remaining period without a forecast.
    """
    known = {str(p): float(v) for p, v in zip(balances["period"], balances["value"], strict=True)}
    surplus_year_check(year, known, as_of)
    periods = [str(p) for p in full_year_periods(year)]
    done = [p for p in periods if p in known]
    todo = [p for p in periods if p not in known]
    dates = dict(zip(balances["period"].astype(str), balances["released"], strict=True))
    released = pd.DataFrame(
        {"period": done, "balance": [known[p] for p in done], "released": [dates[p] for p in done]}
    )
    released_sum = float(sum(known[p] for p in done))
    bound_cols = ["yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"]
    if todo:
        if remaining is None:
            raise ModelError(f"no forecasts for the remaining periods of {year}: {todo}")
        rest = remaining.assign(period=remaining["period"].astype(str)).set_index("period")
        missing = [p for p in todo if p not in rest.index or pd.isna(rest.loc[p, "yhat"])]
        if missing:
            raise ModelError(f"no balance forecast for {', '.join(missing)} ({year})")
        rest = rest.loc[todo, ["yhat", *bound_cols]].reset_index()
        paths = simulate_paths(rest, rho=rho, draws=draws, seed=seed)
        totals = released_sum + paths.sum(axis=0)
        total = released_sum + float(rest["yhat"].sum())
        lo95, lo80, hi80, hi95 = np.quantile(totals, [0.025, 0.1, 0.9, 0.975])
    else:
        rest = pd.DataFrame(columns=["period", "yhat", *bound_cols])
        totals = np.array([released_sum])
        total = lo95 = lo80 = hi80 = hi95 = released_sum
    previous = year_totals(known)
    before = {y: t for y, t in previous.items() if y < year}
    record_year = max(before, key=before.get) if before else None
    record = before[record_year] if record_year is not None else None
    p_record = None if record is None else float(np.mean(totals > record))
    growth: dict[str, float | None] = {}
    for name, level, rate in (
        ("exports", "exports_usd_bn", "exports_yoy"),
        ("imports", "imports_usd_bn", "imports_yoy"),
    ):
        lv = (levels or {}).get(level, {})
        first = (yoy or {}).get(rate, {})
        growth[f"{name}_ytd"] = full_year_growth(first, lv, done) if done else None
        both = {**first, **(yoy_forecasts or {}).get(rate, {})}
        growth[name] = full_year_growth(both, lv, periods)
    return SurplusProjection(
        year=year,
        as_of=as_of,
        released=released,
        released_sum=released_sum,
        remaining=rest,
        total=total,
        total_lo_80=float(min(lo80, total)),
        total_hi_80=float(max(hi80, total)),
        total_lo_95=float(min(lo95, lo80, total)),
        total_hi_95=float(max(hi95, hi80, total)),
        previous_total=previous.get(year - 1),
        record=record,
        record_year=record_year,
        p_record=p_record,
        exports_growth_ytd=growth["exports_ytd"],
        imports_growth_ytd=growth["imports_ytd"],
        exports_growth=growth["exports"],
        imports_growth=growth["imports"],
        method=(
            f"{draws} joint paths: split-normal months from their 80% bands, Gaussian copula "
            f"with correlation {rho}^|i-j| between remaining months"
        ),
    )
