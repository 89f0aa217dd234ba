"""Use case: the scoreboard of each model and the combinations against the consensus, over
the periods that have both a poll and an actual."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from forecasting.backtest import data_fingerprint
from forecasting.compare import reliability, scoreboard
from forecasting.errors import DataError
from forecasting.observations import first_release_actuals
from forecasting.service import Service
from forecasting.usecases._common import checked_target, model_set
from forecasting.usecases.backtest import BacktestResult, backtest

__all__ = ["CompareResult", "compare", "scored_rows"]


@dataclass(frozen=True)
class CompareResult:
    """``board``: :func:`forecasting.compare.scoreboard` (a ``consensus`` row last);
    ``frame``: the pseudo-real-time rows scored; ``consensus``: the poll per period;
    ``backtest``: the backtest run for the periods the store lacked (None when every row was
    stored for this data); ``reliability``: per model, the reliability table of its
    P(beat)."""

    target: str
    periods: tuple[str, ...]
    board: pd.DataFrame
    frame: pd.DataFrame
    consensus: pd.Series
    fingerprint: str
    backtest: BacktestResult | None
    #: per model, its P(beat) binned against how often the print beat the consensus
    reliability: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def start(self) -> str:
        return self.periods[0]

    @property
    def end(self) -> str:
        return self.periods[-1]


def compare(
    service: Service,
    target: str,
    *,
    start: str | None = None,
    end: str | None = None,
    models: Sequence[str] | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompareResult:
    """Scoreboard over the periods in ``[start, end]`` with a consensus and an actual, from
    the stored backtest of the same data, running (and storing) it where rows are missing.

    Raises:
        DataError: an unknown target, no consensus stored, or no period with both.
    """
    checked_target(target)
    aliases = model_set(service, target, models)
    cons = service.consensus.best(target)
    if cons.empty:
        raise DataError(f"no consensus stored for {target}: forecasting consensus import F.csv")
    obs = service.observations.frame()
    actual = first_release_actuals(obs, target)
    periods = [
        p
        for p in cons["period"]
        if p in actual.index and (start is None or p >= start) and (end is None or p <= end)
    ]
    if not periods:
        raise DataError(
            f"no period in {start or '…'}..{end or '…'} has both a {target} consensus and an actual"
        )
    frame, fingerprint, run = scored_rows(
        service, target, periods, aliases, jobs=jobs, progress=progress
    )
    consensus = cons.set_index("period")["consensus"]
    board = scoreboard(frame, consensus)
    return CompareResult(
        target,
        tuple(sorted(periods)),
        board,
        frame,
        consensus,
        fingerprint,
        run,
        reliability(frame, consensus),
    )


def scored_rows(
    service: Service,
    target: str,
    periods: Sequence[str],
    aliases: Sequence[str],
    *,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, str, BacktestResult | None]:
    """The pseudo-real-time rows of ``aliases`` for ``periods`` on the current data: the
    stored ones when every model has a row for every period, else a backtest over the range
    (which stores its rows).

    Returns:
        (backtest rows ``period, model, as_of, yhat, yhat_lo_80, …, actual`` of ``periods``,
        the data fingerprint, the backtest run or None when every row was stored).
    """
    fingerprint = data_fingerprint(service.observations.frame())
    stored = service.backtests.load(fingerprint, target)
    have = stored[stored["period"].isin(periods) & stored["model"].isin(aliases)]
    complete = all(set(aliases) <= set(have.loc[have["period"] == p, "model"]) for p in periods)
    if complete:
        return have, fingerprint, None
    run = backtest(
        service,
        target,
        min(periods),
        max(periods),
        models=list(aliases),
        jobs=jobs,
        progress=progress,
    )
    return run.frame[run.frame["period"].isin(periods)], fingerprint, run
