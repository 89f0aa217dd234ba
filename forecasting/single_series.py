"""The single-series import layout: ``period, value, unit, source`` for one named series,
whose release dates come from the series' release rule."""

from __future__ import annotations

from pathlib import Path

from forecasting.errors import DataError
from forecasting.series import SERIES, series_spec
from forecasting.validation import Problem, parse_period, raise_problems, read_csv_rows

__all__ = ["single_series_rows"]


def single_series_rows(path: Path, series: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of ``path`` in the observation layout, each with its line number.

    Raises:
        DataError: an unknown series, one without a release rule, or a unit that does not
            match the series (every such line named).
    """
    if series not in SERIES:
        raise DataError(f"unknown series {series!r}; known series: {', '.join(SERIES)}")
    spec = series_spec(series)
    if spec.release_rule is None:
        raise DataError(
            f"series {series!r} has no release rule: import it in the observation layout "
            "(series, period, value, released, source) with its release dates"
        )
    raw = read_csv_rows(path, ("period", "value", "unit", "source"))
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for line, row in raw:
        if not spec.unit_matches(row["unit"]):
            problems.append(
                Problem(line, "unit", row["unit"], f"unit does not match {series} ({spec.unit})")
            )
            continue
        period = parse_period(row["period"])
        released = "" if period is None else spec.release_rule(period).isoformat()
        rows.append(
            (
                line,
                {
                    "series": series,
                    "period": row["period"],
                    "value": row["value"],
                    "released": released,
                    "source": row["source"],
                },
            )
        )
    raise_problems(problems, str(path))
    return rows
