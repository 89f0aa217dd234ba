"""The domain rules of China's customs calendar: target periods and the Jan–Feb release.

Every module of the service and every model takes these rules from here, and each message
about them is written here once.

- Periods are calendar months (``pd.Period`` with freq ``M``), written ``YYYY-MM``.
- From 2020 customs publishes January and February as one figure: the ``YYYY-02`` period is
  then the January–February cumulative figure and there is no ``YYYY-01`` target period
  (2014–2019 keep separate months). A history keeps ``YYYY-01`` as NaN there.
- Periods and days are parsed strictly: ``YYYY-MM`` (month 01..12, year from 1900) and
  ``YYYY-MM-DD``, ASCII digits only.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

__all__ = [
    "COMBINED_JAN_FEB_FROM",
    "covered_months",
    "full_year_periods",
    "is_combined_jan_feb",
    "is_target_period",
    "next_target_periods",
    "not_a_target_period",
    "observed_target_periods",
    "parse_day",
    "parse_period",
    "target_periods",
    "year_earlier_periods",
]

#: the first year customs published January and February as one figure
COMBINED_JAN_FEB_FROM = 2020

_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})$", re.ASCII)
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)


def parse_period(text: str) -> pd.Period | None:
    """``YYYY-MM`` (ASCII digits, month 01..12, year >= 1900) as a monthly Period, else None."""
    m = _PERIOD.match(text) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        return None
    return pd.Period(text, freq="M")


def parse_day(text: str) -> date | None:
    """``YYYY-MM-DD`` (ASCII digits, a real calendar day) as a date, else None. Stricter than
    ``date.fromisoformat``, which also takes ``20260714`` and ``2026-W29-2``."""
    if not isinstance(text, str) or not _DAY.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_target_period(period: pd.Period) -> bool:
    """True if customs publishes ``period`` on its own (no ``YYYY-01`` from 2020)."""
    return not (period.month == 1 and period.year >= COMBINED_JAN_FEB_FROM)


def is_combined_jan_feb(period: pd.Period) -> bool:
    """True if ``period`` is a ``YYYY-02`` row holding the combined Jan–Feb figure (2020 on)."""
    return period.month == 2 and period.year >= COMBINED_JAN_FEB_FROM


def not_a_target_period(period: pd.Period) -> str | None:
    """None for a target period; else the reason, the one message the service gives for it."""
    if is_target_period(period):
        return None
    return (
        f"{period} is never released on its own: from {COMBINED_JAN_FEB_FROM} customs "
        f"publishes January only combined with February (use {period.year}-02, the Jan-Feb "
        "figure)"
    )


def next_target_periods(last: pd.Period, horizon: int) -> list[pd.Period]:
    """The ``horizon`` target periods after ``last``, skipping combined Januaries."""
    out: list[pd.Period] = []
    p = last
    while len(out) < horizon:
        p = p + 1
        if is_target_period(p):
            out.append(p)
    return out


def target_periods(start: pd.Period | str, end: pd.Period | str) -> list[pd.Period]:
    """Target periods from ``start`` to ``end`` inclusive (no ``YYYY-01`` from 2020)."""
    rng = pd.period_range(pd.Period(start, freq="M"), pd.Period(end, freq="M"), freq="M")
    return [p for p in rng if is_target_period(p)]


def observed_target_periods(history: pd.Series) -> list[pd.Period]:
    """The target periods of ``history`` with a value, in order."""
    values = history.to_numpy()
    return [
        p for p, v in zip(history.index, values, strict=True) if is_target_period(p) and pd.notna(v)
    ]


def covered_months(period: pd.Period) -> str:
    """The months a target period's figure covers, e.g. ``2026-01..2026-02``."""
    if is_combined_jan_feb(period):
        return f"{period - 1}..{period}"
    return str(period)


def year_earlier_periods(period: pd.Period) -> list[pd.Period]:
    """The months a target period's figure is compared with a year earlier (its base).

    ``[period - 12]``, except for the first combined Jan–Feb (2020-02), whose year-earlier
    January and February were published separately: ``[2019-01, 2019-02]``, to be summed for a
    level or a balance.
    """
    if is_combined_jan_feb(period) and not is_combined_jan_feb(period - 12):
        return [period - 13, period - 12]
    return [period - 12]


def full_year_periods(year: int) -> list[pd.Period]:
    """The target periods of ``year`` in order (11 from 2020: Jan–Feb on ``YYYY-02``)."""
    return target_periods(f"{year}-01", f"{year}-12")
