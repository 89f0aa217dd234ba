"""The published model: what the service registers is what it printed.

A :class:`PublishedModel` is one model of a forecast exactly as the forecast made it: the
figures that were public at its ``as_of``, the model set it ran with, the pseudo-real-time
backtest rows its combination was weighted by, and the members as fitted for the published
period. :meth:`PublishedModel.predict` runs :func:`forecasting.as_of.forecast_as_of`, the
computation of ``forecasting forecast``; for the published period and ``as_of`` it reuses the
members it holds, so the figures are those printed (to rounding). Other periods or an earlier
``as_of`` refit on the figures public then (nothing later is in the model).

The tracking module wraps it as an MLflow pyfunc; this module does not import mlflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd

from forecasting.as_of import forecast_as_of
from forecasting.errors import DataError
from forecasting.origin import MemberForecasts
from models.base import FORECAST_COLUMNS
from models.periods import not_a_target_period, parse_day, parse_period

__all__ = ["PUBLISHED_COLUMNS", "PublishedModel"]

#: the columns :meth:`PublishedModel.predict` returns (the forecast frame's)
PUBLISHED_COLUMNS: tuple[str, ...] = ("target", "period", "model", "as_of", *FORECAST_COLUMNS[1:])


@dataclass
class PublishedModel:
    target: str
    alias: str
    aliases: tuple[str, ...]  # the model set the forecast ran with
    period: str  # the period it was published for
    as_of: date  # its information set: figures released before this date
    observations: pd.DataFrame  # every stored row released before as_of
    backtest_rows: pd.DataFrame  # member rows its combination was weighted by
    members: MemberForecasts | None = field(default=None, repr=False)
    #: a cross-target member's inputs (the balance identity): {target: (model set, rows)}
    inputs: dict[str, tuple[tuple[str, ...], pd.DataFrame]] | None = field(default=None, repr=False)

    def predict(self, requests: pd.DataFrame) -> pd.DataFrame:
        """Forecast each requested row: ``period`` (``YYYY-MM``, the target period) and an
        optional ``as_of`` (``YYYY-MM-DD``; default and latest: the model's own).

        Returns:
            the forecast frame ``target, period, model, as_of, yhat, yhat_lo_80, yhat_hi_80,
            yhat_lo_95, yhat_hi_95``, one row per request.

        Raises:
            DataError: a malformed or non-target period or date, or a period already released
                as of the ``as_of`` used.
        """
        if "period" not in requests.columns:
            raise DataError(f"the input needs a 'period' column (YYYY-MM); got {list(requests)}")
        out = []
        for i, rec in enumerate(requests.to_dict("records"), start=1):
            period = _period(rec["period"], i)
            as_of = _as_of(rec.get("as_of"), i, self.as_of)
            out.append(self._one(period, as_of))
        return pd.DataFrame(out, columns=list(PUBLISHED_COLUMNS))

    def _one(self, period: str, as_of: date) -> dict[str, object]:
        known = self.observations[
            (self.observations["series"] == self.target)
            & (self.observations["period"] == period)
            & (self.observations["released"] < as_of)
        ]
        if not known.empty:
            raise DataError(
                f"{self.target} {period} was released on {known['released'].min()} "
                f"(before as_of {as_of}): nothing to forecast"
            )
        same = period == self.period and as_of == self.as_of
        fc = forecast_as_of(
            self.observations,
            self.target,
            period,
            as_of,
            self.aliases,
            self.backtest_rows,
            members=self.members if same else None,
            inputs=self.inputs,
        )
        rows = fc.rows[(fc.rows["model"] == self.alias) & (fc.rows["period"] == period)]
        if rows.empty or rows["yhat"].isna().all():
            reason = fc.rows.loc[fc.rows["model"] == self.alias, "error"].dropna()
            raise DataError(
                f"{self.alias} could not forecast {self.target} {period} as of {as_of}"
                + (f": {reason.iloc[0]}" if len(reason) else "")
            )
        row = rows.iloc[0]
        return {
            "target": self.target,
            "period": period,
            "model": self.alias,
            "as_of": as_of.isoformat(),
            **{c: float(row[c]) for c in FORECAST_COLUMNS[1:]},
        }


def _period(value: object, line: int) -> str:
    p = parse_period(str(value))
    if p is None:
        raise DataError(f"row {line}, column 'period': {value!r} is not a period (YYYY-MM)")
    reason = not_a_target_period(p)
    if reason:
        raise DataError(f"row {line}, column 'period': {reason}")
    return str(p)


def _as_of(value: object, line: int, latest: date) -> date:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return latest
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return min(value, latest)
    if value == "":
        return latest
    parsed = parse_day(str(value))
    if parsed is None:
        raise DataError(f"row {line}, column 'as_of': {value!r} is not a date (YYYY-MM-DD)")
    return min(parsed, latest)
