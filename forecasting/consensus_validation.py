"""Consensus rows checked one by one (pure): the target, period, figure, poll source, number
of economists and dates of each poll, and that none is dated on or after the release it
forecasts. :mod:`forecasting.consensus` stores what passes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Literal, get_args

from forecasting.config import TARGETS
from forecasting.series import SERIES
from forecasting.validation import Problem, parse_date, parse_number, parse_period
from models.periods import not_a_target_period

__all__ = ["MAX_ECONOMISTS", "POLL_SOURCES", "PollSource", "from_public", "validate_consensus"]

PollSource = Literal["reuters", "bloomberg", "wsj", "other"]
POLL_SOURCES: tuple[str, ...] = get_args(PollSource)
#: the most economists a poll can have (Reuters and Bloomberg polls have a few dozen)
MAX_ECONOMISTS = 1000
_WHOLE = re.compile(r"^[0-9]+(?:\.0*)?$", re.ASCII)


def from_public(row: dict[str, str]) -> dict[str, str]:
    """A row of the public poll layout in the store's columns (``indicator`` is the target)."""
    note = " ".join(x for x in (row.get("url", ""), row.get("note", "")) if x)
    return {
        "target": row["indicator"],
        "period": row["period"],
        "consensus": row["consensus"],
        "source": row.get("poll", "") or "other",
        "n_economists": row.get("n_economists", ""),
        "polled_on": row.get("polled_on", ""),
        "release_date": row.get("release_date", ""),
        "note": note,
    }


def validate_consensus(
    rows: list[tuple[int, dict[str, str]]],
    *,
    today: date,
    release_dates: Mapping[tuple[str, str], date] | None = None,
) -> tuple[list[dict], list[Problem]]:
    """Check consensus rows. ``release_dates`` maps ``(target, period)`` to the period's first
    release (a poll dated on or after it is refused, as is one dated on or after the row's own
    ``release_date``). Pure.

    Returns:
        clean records (the ``CONSENSUS_COLUMNS`` plus ``line``) and the problems.
    """
    problems: list[Problem] = []
    clean: list[dict] = []
    seen: dict[tuple, int] = {}
    for line, r in rows:
        rec, problem = _poll(line, r, today, release_dates or {})
        if problem is not None:
            problems.append(problem)
            continue
        key = (rec["target"], rec["period"], rec["source"], rec["polled_on"])
        if key in seen:
            problems.append(
                Problem(
                    line,
                    None,
                    f"{rec['target']} {r.get('period', '')} {rec['source']}",
                    f"duplicate poll of line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        clean.append(rec)
    return clean, problems


def _poll(
    line: int, r: dict[str, str], today: date, release_dates: Mapping[tuple[str, str], date]
) -> tuple[dict, Problem | None]:
    """One poll row checked: the clean record, or the first problem found in it."""
    target, period_txt = r.get("target", ""), r.get("period", "")
    if target not in TARGETS:
        return {}, Problem(line, "target", target, f"unknown target; known: {', '.join(TARGETS)}")
    period = parse_period(period_txt)
    if period is None:
        return {}, Problem(line, "period", period_txt, "malformed period, expected YYYY-MM")
    reason = not_a_target_period(period)
    if reason:
        return {}, Problem(line, "period", period_txt, reason)
    value_txt = r.get("consensus", "")
    value = parse_number(value_txt)
    if value is None:
        return {}, Problem(line, "consensus", value_txt, "not a number (expected e.g. -1.5 or 27)")
    implausible = SERIES[target].plausible(value)
    if implausible:
        return {}, Problem(line, "consensus", value_txt, f"implausible for {target}: {implausible}")
    source = (r.get("source") or "other").lower()
    if source not in POLL_SOURCES:
        return {}, Problem(
            line,
            "source",
            r.get("source"),
            f"unknown poll source; known: {', '.join(POLL_SOURCES)}",
        )
    n_txt = r.get("n_economists", "")
    n_econ: int | None = None
    if n_txt:
        n_econ = int(float(n_txt)) if _WHOLE.match(n_txt) else None
        if n_econ is None or not 1 <= n_econ <= MAX_ECONOMISTS:
            return {}, Problem(
                line,
                "n_economists",
                n_txt,
                f"not a positive whole number of economists (1 to {MAX_ECONOMISTS})",
            )
    release_txt = r.get("release_date", "")
    release_col = parse_date(release_txt) if release_txt else None
    if release_txt and release_col is None:
        return {}, Problem(line, "release_date", release_txt, "malformed date, expected YYYY-MM-DD")
    polled_txt = r.get("polled_on", "")
    polled: date | None = None
    if polled_txt:
        polled = parse_date(polled_txt)
        if polled is None:
            return {}, Problem(line, "polled_on", polled_txt, "malformed date, expected YYYY-MM-DD")
        if polled > today:
            return {}, Problem(
                line, "polled_on", polled_txt, f"poll date in the future (today is {today})"
            )
        known = [d for d in (release_dates.get((target, str(period))), release_col) if d]
        if known and polled >= min(known):
            return {}, Problem(
                line,
                "polled_on",
                polled_txt,
                f"poll dated on or after the release it forecasts ({target} {period} was "
                f"released on {min(known).isoformat()}); a consensus is what was expected "
                "before the print",
            )
    record = {
        "target": target,
        "period": str(period),
        "consensus": value,
        "source": source,
        "n_economists": n_econ,
        "polled_on": polled,
        "note": r.get("note", ""),
        "line": line,
    }
    return record, None
