"""Calendar regressors: working days against a year earlier, and Lunar New Year's position.

China's State Council publishes each year's holiday schedule in November or December of the
year before: the statutory holidays *and* the weekend days made working days to bridge them
(调休). The ``chinesecalendar`` package (import ``chinese_calendar``) keeps that schedule; its
1.11 release covers 2004–2026 (``china_schedule_years``). A month outside the schedule raises
:class:`~models.errors.ModelError` naming the first date not covered: the working days of a
year whose schedule is not published are not known, and guessing them would put a made-up
figure into a forecast.

Korea's working days (Monday–Friday less the public holidays, substitute holidays included)
come from the ``holidays`` package's ``KR`` calendar, computed by rule for any year.

Lunar New Year's position is :func:`models.prophet_lny.lny_regressors`: the year-on-year
change in the share of the 21 days before (``lny_pre``) and from (``lny_post``) the
festival falling in the month.

For a combined Jan–Feb target (``YYYY-02`` from 2020) every regressor is the January plus
February figure against January plus February a year earlier (so Jan–Feb 2020 is compared
with Jan+Feb 2019). Pure functions of the period; nothing depends on the data, so a model can
build them for any month it forecasts.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from models.errors import ModelError
from models.periods import is_combined_jan_feb

__all__ = [
    "CALENDAR_COLUMNS",
    "calendar_regressors",
    "china_schedule_years",
    "china_working_days",
    "korea_working_days",
    "working_day_difference",
]

#: the regressors :func:`calendar_regressors` can build: working days against a year earlier
#: in days (``*_wd_diff``) or as ``100·log(days / days a year earlier)`` (``*_wd_log``, the
#: same scale for a single month and a combined Jan–Feb), and Lunar New Year's position
CALENDAR_COLUMNS: tuple[str, ...] = (
    "cn_wd_diff",
    "kr_wd_diff",
    "cn_wd_log",
    "kr_wd_log",
    "lny_pre",
    "lny_post",
)


def china_schedule_years() -> tuple[int, int]:
    """(first, last) year of China's official holiday schedule in ``chinese_calendar``."""
    from chinese_calendar.constants import holidays

    years = [d.year for d in holidays]
    return min(years), max(years)


def _month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    return [first + timedelta(days=i) for i in range(_cal.monthrange(year, month)[1])]


@lru_cache(maxsize=1024)
def _china_month(year: int, month: int) -> int:
    first, last = china_schedule_years()
    if not first <= year <= last:
        raise ModelError(
            f"China's official holiday schedule does not cover {date(year, month, 1)}: "
            f"chinese_calendar has {first}-{last} (the schedule for a year is published in "
            "November or December before it; update the chinesecalendar package)"
        )
    from chinese_calendar import is_workday

    return sum(1 for d in _month_days(year, month) if is_workday(d))


@lru_cache(maxsize=256)
def _korea_holidays(year: int) -> frozenset[date]:
    import holidays

    return frozenset(holidays.KR(years=year))


@lru_cache(maxsize=1024)
def _korea_month(year: int, month: int) -> int:
    kr = _korea_holidays(year)
    return sum(1 for d in _month_days(year, month) if d.weekday() < 5 and d not in kr)


def china_working_days(period: pd.Period | str) -> int:
    """China's official working days in ``period`` (weekdays that are not holidays, plus
    weekend days made working days). Raises ModelError outside the published schedule."""
    p = pd.Period(period, freq="M")
    return _china_month(p.year, p.month)


def korea_working_days(period: pd.Period | str) -> int:
    """Korea's working days in ``period``: Monday–Friday less public holidays."""
    p = pd.Period(period, freq="M")
    return _korea_month(p.year, p.month)


def _covered_days(period: pd.Period, country: str, combined: bool) -> int:
    count = china_working_days if country == "CN" else korea_working_days
    if combined:
        return count(period - 1) + count(period)
    return count(period)


def working_day_difference(
    periods: Iterable[pd.Period | str],
    country: str = "CN",
    *,
    log: bool = False,
    missing: str = "raise",
) -> pd.Series:
    """Working days in each period minus the same period a year earlier.

    Args:
        periods: months; a combined Jan–Feb period (``YYYY-02`` from 2020) counts January
            plus February in both years.
        country: ``"CN"`` (the official schedule) or ``"KR"``.
        log: ``100·log(days / days a year earlier)`` instead of the difference in days.
        missing: ``"raise"``: a month outside China's schedule raises; ``"nan"``: it gives
            NaN (for the history part of a regressor frame, where the model drops the month).

    Returns:
        Series of floats on a monthly PeriodIndex of ``periods``.

    Raises:
        ModelError: (CN, ``missing="raise"``) a month, or the month a year before it,
            outside the schedule; the message names the first day not covered.
    """
    if country not in ("CN", "KR"):
        raise ValueError(f"country must be 'CN' or 'KR', got {country!r}")
    if missing not in ("raise", "nan"):
        raise ValueError(f"missing must be 'raise' or 'nan', got {missing!r}")
    index = pd.PeriodIndex([pd.Period(p, freq="M") for p in periods], freq="M")
    values = []
    for p in index:
        combined = is_combined_jan_feb(p)
        try:
            before = _covered_days(p - 12, country, combined)
            now = _covered_days(p, country, combined)
        except ModelError:
            if missing == "raise":
                raise
            values.append(np.nan)
            continue
        values.append(100.0 * np.log(now / before) if log else float(now - before))
    name = f"{country.lower()}_wd_{'log' if log else 'diff'}"
    return pd.Series(values, index=index, dtype=float, name=name)


def calendar_regressors(
    periods: Iterable[pd.Period | str],
    columns: Sequence[str] = CALENDAR_COLUMNS,
    *,
    missing: str = "raise",
) -> pd.DataFrame:
    """The calendar regressors named in ``columns`` (of :data:`CALENDAR_COLUMNS`) per period.

    ``missing``: what a month outside China's schedule gives (see
    :func:`working_day_difference`).

    Returns:
        DataFrame on a monthly PeriodIndex of ``periods`` with ``columns``, floats.

    Raises:
        ModelError: a ``cn_*`` column asked for a month outside China's published schedule
            (with ``missing="raise"``).
    """
    unknown = [c for c in columns if c not in CALENDAR_COLUMNS]
    if unknown:
        raise ValueError(f"unknown calendar columns {unknown}; known: {list(CALENDAR_COLUMNS)}")
    if missing not in ("raise", "nan"):
        raise ValueError(f"missing must be 'raise' or 'nan', got {missing!r}")
    if isinstance(periods, pd.PeriodIndex) and periods.freqstr in ("M", "ME"):
        index = periods.rename(None)
    else:
        index = pd.PeriodIndex([pd.Period(p, freq="M") for p in periods], freq="M")
    cols = tuple(columns)
    rows = [_regressor_row(int(o), cols, missing) for o in index.asi8]
    values = np.array(rows, dtype=float).reshape(len(index), len(cols))
    return pd.DataFrame(values, index=index, columns=list(cols))


@lru_cache(maxsize=16384)
def _regressor_row(ordinal: int, columns: tuple[str, ...], missing: str) -> tuple[float, ...]:
    """One period's calendar regressors (cached: a pure function of the period; a month
    outside the schedule with ``missing="raise"`` raises and is not cached)."""
    index = pd.PeriodIndex([pd.Period(ordinal=ordinal, freq="M")], freq="M")
    out: dict[str, float] = {}
    for col in columns:
        if "_wd_" in col:
            country, kind = col.split("_wd_")
            values = working_day_difference(
                index, country.upper(), log=kind == "log", missing=missing
            )
            out[col] = float(values.iloc[0])
    lny = [c for c in ("lny_pre", "lny_post") if c in columns]
    if lny:
        from models.prophet_lny import lny_regressors

        shares = lny_regressors(index)
        for c in lny:
            out[c] = float(shares[c].iloc[0])
    return tuple(out[c] for c in columns)
