"""The series the store knows: units, plausibility bounds and release rules.

Release rules date an indicator value when its source does not: they map the reference month
``M`` to the day the figure became public. China customs figures always carry their own date.

Every series also has an earliest-release rule: the first day a figure for month ``M`` can
exist. A full-month figure (customs, Korea's and Taiwan's full-month exports, Taiwan's export
orders) exists only once the month has ended (from the 1st of M+1); Korea's 10- and 20-day
flashes from the 11th and 21st of M; the NBS PMI from the last day of M; Vietnam's GSO first
estimate from the 27th of M (the earliest day its monthly report appears in the reference data;
the release rule dates it at the 29th). An import dated earlier is refused.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

__all__ = ["AFTER_MONTH_END", "SERIES", "EarliestRelease", "SeriesSpec", "series_spec"]

Kind = Literal["yoy", "level", "balance", "index"]


def _day_of_next_month(day: int) -> Callable[[pd.Period], date]:
    def rule(period: pd.Period) -> date:
        nxt = period + 1
        return date(nxt.year, nxt.month, day)

    return rule


def _day_of_month(day: int) -> Callable[[pd.Period], date]:
    def rule(period: pd.Period) -> date:
        last = _cal.monthrange(period.year, period.month)[1]
        return date(period.year, period.month, min(day, last))

    return rule


def _last_day_of_month(period: pd.Period) -> date:
    return date(period.year, period.month, _cal.monthrange(period.year, period.month)[1])


def _after_month_end(period: pd.Period) -> date:
    """The 1st of M+1: the first day a full-month figure for ``period`` can exist."""
    nxt = period + 1
    return date(nxt.year, nxt.month, 1)


@dataclass(frozen=True)
class EarliestRelease:
    """The first day a figure for a month can be public, and that rule in words."""

    rule: Callable[[pd.Period], date]
    description: str

    def __call__(self, period: pd.Period) -> date:
        return self.rule(period)


AFTER_MONTH_END = EarliestRelease(_after_month_end, "after the month ends (from the 1st of M+1)")


@dataclass(frozen=True)
class SeriesSpec:
    name: str
    kind: Kind
    unit: str
    description: str
    release_rule: Callable[[pd.Period], date] | None = None
    earliest_release: EarliestRelease = AFTER_MONTH_END

    @property
    def max_abs_yoy(self) -> float:
        """±200% for customs figures; ±1000% for indicators (Korea's exports to China grew
        from a tiny base before 1992, with y/y far above 200%)."""
        return 200.0 if self.release_rule is None else 1000.0

    def plausible(self, value: float) -> str | None:
        """None if ``value`` is plausible for this series, else the reason it is not."""
        if self.kind == "yoy" and abs(value) > self.max_abs_yoy:
            return f"a y/y growth rate beyond ±{self.max_abs_yoy:g}%"
        if self.kind == "level" and value < 0:
            return "a negative level"
        if self.kind == "balance" and abs(value) > 2000:
            return "a balance beyond ±2000 (USD bn)"
        if self.kind == "index" and not 0 <= value <= 100:
            return "an index outside 0..100"
        return None

    def unit_matches(self, unit: str) -> bool:
        """Whether a file's free-text ``unit`` is compatible with this series' unit."""
        u = unit.lower()
        if self.kind == "yoy":
            return "%" in u or "percent" in u or "y/y" in u
        if self.kind == "index":
            return "index" in u
        return "usd" in u or "bn" in u or "$" in u


_CUSTOMS = "China customs (GACC), first release"
_FROM_LAST_DAY = EarliestRelease(_last_day_of_month, "from the last day of the month")

SERIES: dict[str, SeriesSpec] = {
    s.name: s
    for s in (
        SeriesSpec("exports_yoy", "yoy", "% y/y, USD", f"{_CUSTOMS}: exports growth"),
        SeriesSpec("imports_yoy", "yoy", "% y/y, USD", f"{_CUSTOMS}: imports growth"),
        SeriesSpec("balance_usd_bn", "balance", "USD bn", f"{_CUSTOMS}: trade balance"),
        SeriesSpec("exports_usd_bn", "level", "USD bn", f"{_CUSTOMS}: exports level"),
        SeriesSpec("imports_usd_bn", "level", "USD bn", f"{_CUSTOMS}: imports level"),
        SeriesSpec(
            "kr_exports_yoy",
            "yoy",
            "% y/y, USD",
            "Korea exports (MOTIE)",
            _day_of_next_month(1),
        ),
        SeriesSpec(
            "kr_exports_to_china_yoy",
            "yoy",
            "% y/y, USD",
            "Korea exports to China (MOTIE)",
            _day_of_next_month(1),
        ),
        SeriesSpec(
            "kr_exports_first20d_yoy",
            "yoy",
            "% y/y, USD",
            "Korea exports, days 1-20 (KCS)",
            _day_of_month(21),
            EarliestRelease(_day_of_month(21), "after day 20 of the month (from the 21st)"),
        ),
        SeriesSpec(
            "kr_exports_first10d_yoy",
            "yoy",
            "% y/y, USD",
            "Korea exports, days 1-10 (KCS)",
            _day_of_month(11),
            EarliestRelease(_day_of_month(11), "after day 10 of the month (from the 11th)"),
        ),
        SeriesSpec(
            "cn_pmi_manufacturing",
            "index",
            "index, 50 = no change",
            "China NBS manufacturing PMI",
            _last_day_of_month,
            _FROM_LAST_DAY,
        ),
        SeriesSpec(
            "cn_pmi_new_export_orders",
            "index",
            "index, 50 = no change",
            "China NBS PMI new export orders",
            _last_day_of_month,
            _FROM_LAST_DAY,
        ),
        SeriesSpec(
            "tw_exports_yoy",
            "yoy",
            "% y/y, USD",
            "Taiwan exports (MOF)",
            _day_of_next_month(10),
        ),
        SeriesSpec(
            "tw_export_orders_yoy",
            "yoy",
            "% y/y, USD",
            "Taiwan export orders (MOEA)",
            _day_of_next_month(20),
        ),
        SeriesSpec(
            "vn_exports_yoy",
            "yoy",
            "% y/y, USD",
            "Vietnam exports (GSO first estimate)",
            _day_of_month(29),
            EarliestRelease(_day_of_month(27), "from the 27th of the month (GSO monthly report)"),
        ),
    )
}


def series_spec(name: str) -> SeriesSpec:
    try:
        return SERIES[name]
    except KeyError:
        raise KeyError(f"unknown series {name!r}; known series: {', '.join(SERIES)}") from None
