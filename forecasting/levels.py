"""USD levels of exports and imports: stated where a report gives them, else derived.

Customs reports state the headline y/y rates and the balance every month but the USD levels
only now and then. The levels the data does not state follow from what it holds, through
three linear relations per period ``t`` (``X`` exports, ``M`` imports, USD bn):

* growth: ``X_t = (1 + gx_t/100) · X_base`` and ``M_t = (1 + gm_t/100) · M_base``, the base
  being the same period a year earlier (:func:`models.periods.year_earlier_periods`: for
  2020-02, the first combined Jan–Feb, the sum of January and February 2019);
* balance: ``X_t − M_t = B_t``;
* stated levels: ``X_t = S_t``.

Periods are *level periods*: calendar months, except that from 2020 the ``YYYY-02`` row holds
the January–February total (as customs, the bundled data and every stated Jan–Feb level do)
and there is no ``YYYY-01`` level. The relations only link periods of one calendar month (and
January with February, through 2020-02), so the system splits into 11 small chains.

Each chain is solved by weighted least squares, each relation weighted by its error:

* a stated figure is exact up to its rounding: half a unit of its last stated decimal, as a
  uniform error (sd = half-unit / √3);
* a growth link also carries the revision of its base: customs computes the headline y/y
  against the *revised* year-earlier level, while the level it links to is the first release.
  Its sd is ``BASE_REVISION_SD`` (relative) times the base level, on top of the y/y's
  rounding. The value was chosen on the stated levels of 2014–2018 (leave-one-out,
  ``benchmarks/levels_eval.py``).

A level the system does not pin down (e.g. imports in a month with exports y/y only, and no
later relation) is not derived: a missing value stays missing. A level whose standard error
exceeds ``MAX_RELATIVE_SE`` of itself is not derived either. When the same period states the
other level and the balance, the level is their difference (``M = X − B``), exactly.

Vintages (no look-ahead): the derivation is replayed at each release date ``r`` on the figures
released up to and including ``r``; a derived row is dated ``r``, the date its last input
became public. A level is emitted when it is first derivable, and again (a revision, a later
``released``) when later figures move it by ``EMIT_TOLERANCE`` or more. Stated levels always
win: no derived row is emitted for a (series, period) on or after the first release of a
stated level for it. Rows whose ``source`` starts with ``"derived:"`` are outputs, never
inputs, so the derivation can run on a store that already holds them.

The check that a balance agrees with the stated levels of its period is in
:mod:`forecasting.balance_check`; the linear algebra in :mod:`forecasting.levels_solver`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from forecasting.levels_solver import (
    BALANCE_SERIES,
    DRIFT_SERIES,
    EXPORTS_LEVEL,
    IMPORTS_LEVEL,
    LEVEL_GROWTH,
    MAX_RELATIVE_SE,
    LevelKey,
    rounding_halfwidth,
    solve_figures,
)
from forecasting.observations import DERIVED_PREFIX, derived_mask
from models.periods import is_target_period, year_earlier_periods

__all__ = [
    "BALANCE_SERIES",
    "BASE_REVISION_SD",
    "DERIVED_PREFIX",
    "DRIFT_SD",
    "EMIT_TOLERANCE",
    "LEVEL_GROWTH",
    "LEVEL_COLUMNS",
    "MAX_RELATIVE_SE",
    "derive_levels",
    "is_derived",
    "level_table",
    "rounding_halfwidth",
    "solve_levels",
    "year_earlier_level",
]

#: relative sd of a growth link from the base's revision (1%); chosen on 2014–2018
BASE_REVISION_SD = 0.01
#: prior sd of a mean base revision per growth link (one per level series); 0 = none. Chosen
#: on 2014–2018, where a drift did not help (benchmarks/levels_eval.py --grid)
DRIFT_SD = 0.0
#: a later vintage of a derived level is emitted when it moves by this much (USD bn) or more
#: (well below the derivation's own error, ~1.4 bn on the stated levels of 2019–2026)
EMIT_TOLERANCE = 0.5
#: ``derive_levels`` returns the observation columns plus the standard error
LEVEL_COLUMNS = ("series", "period", "value", "released", "source", "se")
_INPUT_SERIES = (*LEVEL_GROWTH, *LEVEL_GROWTH.values(), BALANCE_SERIES)


def is_derived(source: object) -> bool:
    """True for a row this module derived (its ``source`` starts with ``"derived:"``)."""
    return isinstance(source, str) and source.startswith(DERIVED_PREFIX)


def latest_rows(observations: pd.DataFrame, until: date | None = None) -> pd.DataFrame:
    """The input rows (not derived), latest vintage per (series, period) released up to and
    including ``until`` (all if None)."""
    rows = observations
    if until is not None:
        rows = rows[rows["released"] <= until]
    return rows.sort_values(["series", "period", "released"]).drop_duplicates(
        ["series", "period"], keep="last"
    )


def input_rows(observations: pd.DataFrame) -> pd.DataFrame:
    """The rows the derivation reads: its five series, not derived, ``released`` as dates."""
    rows = observations[
        observations["series"].isin(_INPUT_SERIES) & ~derived_mask(observations)
    ].copy()
    rows["released"] = pd.to_datetime(rows["released"]).dt.date
    rows["period"] = rows["period"].astype(str)
    rows["value"] = rows["value"].astype(float)
    rows = rows[rows["value"].notna()]
    # a January from 2020 is never a level period (the Jan-Feb figure sits on February)
    keep = [is_target_period(pd.Period(p, freq="M")) for p in rows["period"]]
    return rows[keep]


def _chain(period: pd.Period) -> int:
    """The chain a level period belongs to: its month, January sharing February's chain."""
    return 2 if period.month == 1 else period.month


def _exact_difference(
    figures: Mapping[tuple[str, pd.Period], float], series: str, period: pd.Period
) -> float | None:
    """``X − B`` or ``M + B`` when the period states the other level and the balance."""
    other = IMPORTS_LEVEL if series == EXPORTS_LEVEL else EXPORTS_LEVEL
    if (other, period) in figures and (BALANCE_SERIES, period) in figures:
        balance = figures[(BALANCE_SERIES, period)]
        level = figures[(other, period)]
        return level - balance if series == IMPORTS_LEVEL else level + balance
    return None


def _source(series: str, released: date, se: float, exact: bool) -> str:
    if exact:
        how = (
            "stated exports minus the balance"
            if series == IMPORTS_LEVEL
            else "stated imports plus the balance"
        )
        return f"{DERIVED_PREFIX} {how} of the same period"
    return (
        f"{DERIVED_PREFIX} least squares on y/y links, balances and stated levels released "
        f"by {released.isoformat()} (se {se:.2f} bn)"
    )


def _by_chain(latest: pd.DataFrame, periods: Mapping[str, pd.Period]) -> dict[int, dict]:
    """{chain: {(series, Period): value}} of the latest input rows."""
    out: dict[int, dict[LevelKey, float]] = {}
    for s, p, v, c in zip(
        latest["series"], latest["period"], latest["value"], latest["chain"], strict=True
    ):
        out.setdefault(int(c), {})[(s, periods[p])] = float(v)
    return out


def _chained(observations: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.Period]]:
    """The input rows with their chain number, and period text -> Period."""
    rows = input_rows(observations)
    periods = {p: pd.Period(p, freq="M") for p in rows["period"].unique()}
    return rows.assign(chain=rows["period"].map(lambda p: _chain(periods[p]))), periods


def solve_levels(
    observations: pd.DataFrame,
    until: date | None = None,
    *,
    revision_sd: float = BASE_REVISION_SD,
    drift_sd: float = DRIFT_SD,
) -> pd.DataFrame:
    """Every level the figures released up to and including ``until`` (all if None) pin
    down, stated or not: one vintage, no replay (:func:`derive_levels` gives the rows a store
    takes). Pure.

    Returns:
        DataFrame with columns ``series, period, value, se, stated`` (``stated``: the input
        holds this level; its ``value`` is then the least-squares fit, within rounding of the
        stated figure unless the figures disagree), sorted by series and period. ``attrs
        ["drift"]``: {level series: the estimated mean base revision per growth link}.
    """
    rows, periods = _chained(observations)
    if until is not None:
        rows = rows[rows["released"] <= until]
    by_chain = _by_chain(latest_rows(rows), periods)
    solved, drift = solve_figures(by_chain, revision_sd, drift_sd)
    figures = {key: v for fig in by_chain.values() for key, v in fig.items()}
    out: list[dict[str, object]] = []
    for (series, period), sol in solved.items():
        exact = _exact_difference(figures, series, period)
        out.append(
            {
                "series": series,
                "period": str(period),
                "value": exact if exact is not None else sol.value,
                "se": 0.0 if exact is not None else sol.se,
                "stated": (series, period) in figures,
            }
        )
    frame = pd.DataFrame(out, columns=["series", "period", "value", "se", "stated"])
    frame = frame.sort_values(["series", "period"]).reset_index(drop=True)
    frame.attrs["drift"] = dict(zip(DRIFT_SERIES, map(float, drift), strict=True))
    return frame


def derive_levels(
    observations: pd.DataFrame,
    *,
    revision_sd: float = BASE_REVISION_SD,
    drift_sd: float = DRIFT_SD,
    tolerance: float = EMIT_TOLERANCE,
) -> pd.DataFrame:
    """The ``exports_usd_bn`` / ``imports_usd_bn`` rows the data implies but does not state.

    Pure: ``observations`` (any observation frame: ``series, period, value, released,
    source``; ``released`` as dates or ISO strings) is not modified. Rows of other series and
    derived rows are ignored. See the module docstring for the method and the vintages.

    Returns:
        DataFrame with columns ``series, period, value, released, source, se`` (value rounded
        to 0.01 USD bn; ``se`` the standard error of the least-squares value, USD bn), sorted
        by series, period and released. ``released`` holds dates. From 2020 the ``YYYY-02``
        rows are January–February totals and there are no ``YYYY-01`` rows.
    """
    rows, periods = _chained(observations)
    if rows.empty:
        return pd.DataFrame(columns=list(LEVEL_COLUMNS))
    stated = rows[rows["series"].isin(list(LEVEL_GROWTH))]
    first_stated = stated.groupby(["series", "period"])["released"].min().to_dict()
    last_emitted: dict[tuple[str, str], float] = {}
    out: list[dict[str, object]] = []
    for released in sorted(rows["released"].unique()):
        by_chain = _by_chain(latest_rows(rows[rows["released"] <= released]), periods)
        solved, _ = solve_figures(by_chain, revision_sd, drift_sd)
        figures = {key: v for fig in by_chain.values() for key, v in fig.items()}
        for (series, period), sol in sorted(solved.items(), key=lambda kv: kv[0][1]):
            key = (series, str(period))
            stated_on = first_stated.get(key)
            if stated_on is not None and stated_on <= released:
                continue
            exact = _exact_difference(figures, series, period)
            value = round(exact if exact is not None else sol.value, 2)
            se = 0.0 if exact is not None else sol.se
            previous = last_emitted.get(key)
            if previous is not None and abs(value - previous) < tolerance:
                continue
            last_emitted[key] = value
            out.append(
                {
                    "series": series,
                    "period": str(period),
                    "value": value,
                    "released": released,
                    "source": _source(series, released, se, exact is not None),
                    "se": round(se, 3),
                }
            )
    frame = pd.DataFrame(out, columns=list(LEVEL_COLUMNS))
    return frame.sort_values(["series", "period", "released"]).reset_index(drop=True)


def level_table(info: pd.DataFrame) -> pd.DataFrame:
    """Exports and imports levels of an information set (one vintage per period, stated or
    derived) side by side.

    Returns:
        DataFrame indexed by period text with float columns ``exports_usd_bn`` and
        ``imports_usd_bn`` (NaN where neither stated nor derived), sorted by period.
    """
    rows = info[info["series"].isin(list(LEVEL_GROWTH))]
    table = rows.pivot_table(index="period", columns="series", values="value", aggfunc="last")
    return table.reindex(columns=list(LEVEL_GROWTH)).astype(float).sort_index()


def year_earlier_level(levels: Mapping[str, float], period: pd.Period | str) -> float | None:
    """The year-earlier base level of ``period`` from ``levels`` (period text -> USD bn): the
    same period a year earlier, or for 2020-02 the sum of January and February 2019. None if
    any month of the base is missing."""
    p = pd.Period(period, freq="M")
    values = [levels.get(str(b)) for b in year_earlier_periods(p)]
    if any(v is None or not np.isfinite(v) for v in values):
        return None
    return float(sum(values))  # type: ignore[arg-type]
