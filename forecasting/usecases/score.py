"""Use case: score the ledger's forecasts for a released period against the actual and the
consensus known when each forecast was made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forecasting.compare import scoreboard
from forecasting.errors import DataError, NotReleasedError
from forecasting.observations import first_release_actuals
from forecasting.service import Service
from forecasting.usecases._common import checked_target

__all__ = ["ScoreResult", "score_period"]


@dataclass(frozen=True)
class ScoreResult:
    """``scored``: the ledger rows for ``period`` with ``actual``, ``abs_error``,
    ``consensus_abs_error`` and ``closer_than_consensus`` (NA without a poll); ``actuals``:
    the first-release actual per target."""

    period: str
    scored: pd.DataFrame
    actuals: dict[str, float]

    def latest(self, target: str) -> pd.DataFrame:
        """Each model's last forecast of the period for ``target`` (the one closest to the
        release)."""
        g = self.scored[self.scored["target"] == target]
        return g.sort_values(["as_of", "id"]).drop_duplicates("model", keep="last")

    def board(self, target: str) -> pd.DataFrame | None:
        """Each model's last forecast against the consensus (a one-period scoreboard), or
        None without a poll."""
        last = self.latest(target)
        cons = last["consensus"].dropna()
        if cons.empty:
            return None
        return scoreboard(last, pd.Series({self.period: float(cons.iloc[-1])}))


def score_period(
    service: Service, period: str, *, targets: Sequence[str] | None = None
) -> ScoreResult:
    """The ledger's forecasts for ``period`` against the first-release actual.

    Raises:
        NotReleasedError: an actual is not in the store yet (nothing is written).
        DataError: the ledger holds no forecast for the period.
    """
    targets = [checked_target(t) for t in (targets or service.settings.targets.names)]
    obs = service.observations.frame()
    out, actuals = [], {}
    for target in targets:
        first = first_release_actuals(obs, target)
        if period not in first.index:
            raise NotReleasedError(
                f"{target} {period} is not in the store yet: add the release first "
                f"(forecasting data add --period {period} ... --released DATE); nothing written"
            )
        actual = actuals[target] = float(first[period])
        ledger = service.ledger.frame(target=target, period=period)
        g = ledger[ledger["yhat"].notna()].copy()
        if g.empty:
            continue
        g["consensus"] = pd.to_numeric(g["consensus"]).astype(float)  # None when no poll
        g["actual"] = actual
        g["abs_error"] = (g["yhat"] - actual).abs()
        g["consensus_abs_error"] = (g["consensus"] - actual).abs()
        has = g["consensus"].notna()
        closer = pd.Series(pd.NA, index=g.index, dtype="boolean")
        closer[has] = g.loc[has, "abs_error"] < g.loc[has, "consensus_abs_error"]
        g["closer_than_consensus"] = closer
        out.append(g)
    if not out:
        raise DataError(f"the ledger holds no forecast for {period}: nothing to score")
    return ScoreResult(period, pd.concat(out, ignore_index=True), actuals)
