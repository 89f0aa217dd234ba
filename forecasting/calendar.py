"""Target periods and the release calendar.

- From 2020 customs publishes January and February as one figure: the ``YYYY-02`` period is the
  January–February cumulative figure and there is no ``YYYY-01`` target (2014–2019 keep
  separate months).
- Past release dates come from the data; ``configs/release_calendar.toml`` lists published
  coming dates; any other date is estimated by the documented rule (see that file):
  month M+1, on the median day-of-month of the last ``lookback`` known releases of the same
  calendar month, else ``default_day``.

Time is an argument: nothing here reads the clock.
"""

from __future__ import annotations

import statistics
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import pandas as pd

from forecasting.errors import ConfigError
from models.periods import (
    covered_months,
    is_target_period,
    next_target_periods,
    not_a_target_period,
    target_periods,
)

__all__ = [
    "Release",
    "ReleaseCalendar",
    "covered_months",
    "is_target_period",
    "load_release_calendar",
    "next_target_periods",
    "target_periods",
]

Basis = Literal["data", "calendar", "estimated"]


@dataclass(frozen=True)
class Release:
    period: pd.Period
    date: date
    basis: Basis

    @property
    def covers(self) -> str:
        return covered_months(self.period)


@dataclass(frozen=True)
class ReleaseCalendar:
    """Release dates: observed (data) over listed (config) over estimated (rule)."""

    observed: dict[str, date]
    listed: dict[str, date]
    lookback: int = 5
    default_day: int = 9

    def release(self, period: pd.Period | str) -> Release:
        period = pd.Period(period, freq="M")
        key = str(period)
        if key in self.observed:
            return Release(period, self.observed[key], "data")
        if key in self.listed:
            return Release(period, self.listed[key], "calendar")
        return Release(period, self._estimate(period), "estimated")

    def _estimate(self, period: pd.Period) -> date:
        month = period.month
        parsed = ((pd.Period(p, freq="M"), d) for p, d in {**self.listed, **self.observed}.items())
        known = sorted((p, d) for p, d in parsed if p.month == month and p < period)
        days = [d.day for _, d in known[-self.lookback :]]
        day = int(statistics.median_low(days)) if days else self.default_day
        nxt = period + 1
        last_day = (nxt + 1).start_time - pd.Timedelta(days=1)
        return date(nxt.year, nxt.month, min(day, last_day.day))

    def next_due(self, today: date, after: pd.Period | None = None) -> Release:
        """The first target period whose release is on or after ``today``."""
        start = after if after is not None else self._latest_observed()
        for p in next_target_periods(start, 240):
            rel = self.release(p)
            if rel.date >= today:
                return rel
        raise ConfigError("no upcoming release found within 20 years")  # pragma: no cover

    def upcoming(self, today: date, count: int = 12) -> list[Release]:
        """The next ``count`` releases on or after ``today``."""
        first = self.next_due(today)
        return [first, *(self.release(p) for p in next_target_periods(first.period, count - 1))]

    def released_between(self, after: pd.Period, today: date) -> list[Release]:
        """Target periods after ``after`` whose release date is before ``today``."""
        out: list[Release] = []
        for p in next_target_periods(after, 240):
            rel = self.release(p)
            if rel.date >= today:
                break
            out.append(rel)
        return out

    def _latest_observed(self) -> pd.Period:
        if not self.observed:
            raise ConfigError("the release calendar has no observed release to start from")
        return max(pd.Period(p, freq="M") for p in self.observed)


def load_release_calendar(path: Path, observed: dict[str, date]) -> ReleaseCalendar:
    """Read ``release_calendar.toml`` (listed dates and rule) over observed release dates."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: release calendar not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"releases", "rule"}
    if unknown:
        raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}; known: releases, rule")
    listed: dict[str, date] = {}
    for key, value in raw.get("releases", {}).items():
        try:
            period = pd.Period(key, freq="M")
        except ValueError:
            raise ConfigError(f"{path}: [releases] key {key!r} is not a YYYY-MM period") from None
        reason = not_a_target_period(period)
        if reason:
            raise ConfigError(f"{path}: [releases] {key!r}: {reason}")
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ConfigError(f"{path}: [releases] {key} = {value!r} is not a date") from None
        if not isinstance(value, date) or value <= period.end_time.date():
            raise ConfigError(f"{path}: [releases] {key} = {value!r} must be a date after {key}")
        listed[str(period)] = value
    rule = raw.get("rule", {})
    extra = set(rule) - {"lookback", "default_day"}
    if extra:
        raise ConfigError(f"{path}: unknown key(s) {sorted(extra)} in [rule]")
    lookback = rule.get("lookback", 5)
    default_day = rule.get("default_day", 9)
    for name, v, hi in (("lookback", lookback, 50), ("default_day", default_day, 28)):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            raise ConfigError(f"{path}: [rule] {name} must be an integer 1..{hi}, got {v!r}")
    return ReleaseCalendar(
        observed=observed, listed=listed, lookback=lookback, default_day=default_day
    )
