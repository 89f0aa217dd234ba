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

from models.periods import COMBINED_JAN_FEB_FROM, is_combined_jan_feb

__all__ = [
    "COMBINED_JAN_FEB_FROM",
    "INDICATORS_USED_COLUMNS",
    "indicator_exog",
    "indicators_used",
]

INDICATORS_USED_COLUMNS: tuple[str, ...] = ("series", "period", "value", "released")


def _indicator_matrix(info: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    """The ``indicators`` of ``info`` as columns on one contiguous monthly grid covering every
    period any of them has (NaN where a series has no row), or an empty frame if none has.

    Returns:
        DataFrame on a ``PeriodIndex``, columns = the indicators with at least one row.
    """
    rows = info[info["series"].isin(indicators)]
    if rows.empty:
        return pd.DataFrame(index=pd.PeriodIndex([], freq="M"))
    # an information set holds one row per (series, period); keep the last defensively
    rows = rows.drop_duplicates(["series", "period"], keep="last")
    ordinals = _month_ordinals(rows["period"])
    lo = int(ordinals.min())
    grid = pd.period_range(
        pd.Period(ordinal=lo, freq="M"), pd.Period(ordinal=int(ordinals.max()), freq="M")
    )
    present = set(rows["series"])
    names = [n for n in dict.fromkeys(indicators) if n in present]
    col = pd.Index(names).get_indexer(rows["series"])
    values = np.full((len(grid), len(names)), np.nan)
    values[ordinals - lo, col] = rows["value"].to_numpy(dtype=float)
    return pd.DataFrame(values, index=grid, columns=names)


def _month_ordinals(periods: pd.Series) -> np.ndarray:
    """Monthly Period ordinals of ``periods`` (``YYYY-MM`` texts parsed in bulk, anything else
    by pandas)."""
    text = periods.to_numpy()
    if text.dtype == object and all(isinstance(p, str) for p in text):
        raw = np.asarray(text, dtype="S7")
        chars = raw.view("S1").reshape(len(raw), 7)
        if (np.char.str_len(raw) == 7).all() and (chars[:, 4] == b"-").all():
            digits = chars[:, [0, 1, 2, 3, 5, 6]].view(np.uint8).astype(np.int64) - ord("0")
            if ((digits >= 0) & (digits <= 9)).all():
                year = digits[:, :4] @ np.array([1000, 100, 10, 1])
                month = digits[:, 4:] @ np.array([10, 1])
                return (year - 1970) * 12 + month - 1
    return pd.PeriodIndex(periods, freq="M").asi8


def _with_jan_feb_aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace each combined-February value (from 2020) by the mean of January and February
    where both are known (column by column; a January before the frame counts as missing)."""
    index = frame.index
    feb = np.flatnonzero((index.month == 2) & (index.year >= COMBINED_JAN_FEB_FROM))
    feb = feb[feb > 0]  # the January row is the one before (the grid is contiguous)
    if len(feb) == 0:
        return frame
    values = frame.to_numpy(dtype=float, copy=True)
    both = ~np.isnan(values[feb]) & ~np.isnan(values[feb - 1])
    mean = (values[feb] + values[feb - 1]) / 2.0
    values[feb] = np.where(both, mean, values[feb])
    return pd.DataFrame(values, index=index, columns=frame.columns)


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
    # aggregate before cutting the grid so a February row can see its January
    known = _with_jan_feb_aggregate(_indicator_matrix(info, indicators))
    if first_period is not None:
        first = pd.Period(first_period, freq="M")
    else:
        first = min(known.index[0], last) if len(known.index) else last
    grid = pd.period_range(first, last, freq="M")
    frame = known.reindex(index=grid, columns=list(indicators)).astype(float)
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
