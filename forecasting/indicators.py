"""Leading-indicator inputs for the nowcasting models, built from an information set.

Pure functions: they read an information set (the frame :func:`forecasting.observations.
information_set` returns: ``series, period, value, released, source``) and never modify it.

The ragged edge
    Indicators are released at different times (Korea's 20-day exports on the 21st of the
    month, the NBS PMI on its last day, Korea's full-month exports on the 1st of the next
    month). A nowcast made as of ``t`` sees only what was released before ``t``, so the last
    rows of :func:`indicator_exog` are partly NaN. The models use only the columns that are
    present for the periods they forecast.

The January–February issue
    From 2020 China customs publishes January and February only as one combined figure, on the
    ``YYYY-02`` row. An indicator's ``YYYY-02`` row is therefore replaced by its **Jan–Feb
    aggregate: the simple mean of its January and February values** (for a y/y series this is
    the equally weighted approximation of the two-month cumulative y/y, which cancels most of
    the Lunar New Year shift between the two months; for an index such as the PMI it is the
    two-month average). The aggregate needs the February value: if February is not released
    yet the row stays NaN (the ragged edge); if only January is missing (a gap in the source)
    the February value alone is used. The ``YYYY-01`` row keeps January's own value; the target
    is NaN there, so models do not fit it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.observations import target_history
from models.periods import COMBINED_JAN_FEB_FROM, is_combined_jan_feb

__all__ = [
    "COMBINED_JAN_FEB_FROM",
    "INDICATORS_USED_COLUMNS",
    "indicator_exog",
    "indicators_used",
]

INDICATORS_USED_COLUMNS: tuple[str, ...] = ("series", "period", "value", "released")


def _indicator_series(info: pd.DataFrame, name: str) -> pd.Series:
    # an information set holds one row per (series, period); keep the last defensively
    rows = info[info["series"] == name].drop_duplicates("period", keep="last")
    return target_history(rows, name)


def _with_jan_feb_aggregate(values: pd.Series) -> pd.Series:
    """Replace each combined-February value (from 2020) by the mean of January and February."""
    out = values.copy()
    for period in values.index:
        if not is_combined_jan_feb(period):
            continue
        feb = values.loc[period]
        jan_period = period - 1
        jan = values.loc[jan_period] if jan_period in values.index else np.nan
        if pd.notna(feb) and pd.notna(jan):
            out.loc[period] = (feb + jan) / 2.0
    return out


def indicator_exog(
    info: pd.DataFrame,
    indicators: Sequence[str],
    last_period: pd.Period | str,
    first_period: pd.Period | str | None = None,
) -> pd.DataFrame:
    """The models' ``exog``: one column per indicator on a monthly grid ending at the target.

    Args:
        info: an information set (``series, period, value, released, source``).
        indicators: series names, one column each, in this order. A series absent from
            ``info`` gives an all-NaN column.
        last_period: the last row, normally the target month being nowcast (the frame then
            covers the history and the periods to forecast).
        first_period: the first row; default the earliest period any of the indicators has
            in ``info`` (or ``last_period`` if none has any).

    Returns:
        DataFrame on a contiguous monthly ``PeriodIndex`` from ``first_period`` to
        ``last_period``, columns = ``indicators``, NaN where a value is not released in
        ``info``. From 2020 the ``YYYY-02`` row holds the Jan–Feb aggregate (see the module
        docstring).
    """
    last = pd.Period(last_period, freq="M")
    per_series = {name: _indicator_series(info, name) for name in indicators}
    if first_period is not None:
        first = pd.Period(first_period, freq="M")
    else:
        starts = [s.index[0] for s in per_series.values() if len(s)]
        first = min(starts) if starts else last
        first = min(first, last)
    grid = pd.period_range(first, last, freq="M")
    columns = {}
    for name, values in per_series.items():
        # aggregate before cutting the grid so a February row can see its January
        columns[name] = _with_jan_feb_aggregate(values).reindex(grid)
    frame = pd.DataFrame(columns, index=grid, columns=list(indicators), dtype=float)
    frame.index.name = "period"
    return frame


def indicators_used(
    info: pd.DataFrame, indicators: Sequence[str], period: pd.Period | str
) -> pd.DataFrame:
    """The indicator figures a nowcast of ``period`` rests on, for display.

    For a combined Jan–Feb target (``YYYY-02`` from 2020) both the January and the February
    figures are listed. An indicator with nothing released for the period appears once with
    ``value`` NaN and ``released`` None, so a reader sees what the nowcast had to do without.

    Returns:
        DataFrame with columns ``series, period, value, released``, in the order of
        ``indicators`` then period.
    """
    target = pd.Period(period, freq="M")
    periods = [target - 1, target] if is_combined_jan_feb(target) else [target]
    wanted = {str(p) for p in periods}
    records: list[dict[str, object]] = []
    for name in indicators:
        rows = info[(info["series"] == name) & (info["period"].astype(str).isin(wanted))]
        rows = rows.sort_values("period")
        if rows.empty:
            records.append(
                {"series": name, "period": str(target), "value": np.nan, "released": None}
            )
            continue
        for rec in rows.itertuples():
            records.append(
                {
                    "series": name,
                    "period": str(rec.period),
                    "value": float(rec.value),
                    "released": rec.released,
                }
            )
    return pd.DataFrame.from_records(records, columns=list(INDICATORS_USED_COLUMNS))
