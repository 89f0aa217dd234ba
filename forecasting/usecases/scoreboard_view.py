"""Use case: a target's scoreboard over a window of releases (the API's scoreboard).

The window is the releases in ``[start, end]``; without ``start``, the last
:data:`~forecasting.usecases.backtest.CHAMPION_WINDOW` (36) released up to ``end`` (or up
to the last). Where the window holds periods with a consensus poll, the board is
:func:`~forecasting.usecases.compare`'s over them (each model against the consensus, what
``forecasting compare --start --end`` prints). Where it holds none (the balance, polled
2016–2018 only), the models are scored on their own over the window's releases
(:func:`~forecasting.metrics.accuracy_table`: n, failed, MAE, RMSE, bias, coverage) and
``consensus_note`` says why ("no recent consensus poll (the last one stored is for
2018-12)"). Both read the stored backtest rows of the current data, backtesting (and
storing) only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecasting.errors import DataError
from forecasting.metrics import accuracy_table
from forecasting.series import SERIES
from forecasting.usecases._common import checked_target, model_set
from forecasting.usecases.backtest import CHAMPION_WINDOW
from forecasting.usecases.compare import compare, scored_rows
from forecasting.usecases.next_release import jsonable
from forecasting.usecases.poll_recency import PollRecency, poll_recency

__all__ = ["Scoreboard", "scoreboard_view"]


@dataclass(frozen=True)
class Scoreboard:
    """``board``: one row per model (index ``model``); against the consensus
    (:func:`forecasting.compare.scoreboard`'s columns, a ``consensus`` row last) when
    ``against_consensus``, else :func:`~forecasting.metrics.accuracy_table`'s; ``periods``:
    the periods scored; ``consensus``: the poll per scored period."""

    target: str
    periods: tuple[str, ...]
    board: pd.DataFrame
    consensus: dict[str, float]
    against_consensus: bool
    polls: PollRecency

    @property
    def consensus_note(self) -> str | None:
        return None if self.against_consensus else self.polls.note()

    def as_dict(self) -> dict:
        return jsonable(
            {
                "target": self.target,
                "unit": SERIES[self.target].unit,
                "start": self.periods[0],
                "end": self.periods[-1],
                "periods": list(self.periods),
                "against_consensus": self.against_consensus,
                "consensus_note": self.consensus_note,
                **self.polls.as_dict(),
                "board": self.board.rename_axis("model").reset_index().to_dict("records"),
                "consensus": self.consensus,
            }
        )


def scoreboard_view(
    service,  # noqa: ANN001 - forecasting.service.Service
    target: str,
    *,
    start: str | None = None,
    end: str | None = None,
) -> Scoreboard:
    """``target``'s scoreboard over the window; see the module docstring.

    Raises:
        DataError: an unknown target, or no release in the window.
        ModelError: a model failing in a backtest that has to be run.
    """
    checked_target(target)
    released = sorted(
        p
        for p in service.observations.release_dates(target)
        if (start is None or p >= start) and (end is None or p <= end)
    )
    if start is None:
        released = released[-CHAMPION_WINDOW:]
    if not released:
        raise DataError(f"no {target} period released in {start or '…'}..{end or '…'}")
    polls = poll_recency(service, target, released[-1])
    polled = set(service.consensus.best(target)["period"]) & set(released)
    if polled:
        result = compare(service, target, start=released[0], end=released[-1])
        consensus = {p: float(x) for p, x in result.consensus.items() if p in result.periods}
        return Scoreboard(target, result.periods, result.board, consensus, True, polls)
    frame, _, _ = scored_rows(service, target, released, model_set(service, target))
    board = accuracy_table(frame)
    return Scoreboard(target, tuple(released), board, {}, False, polls)
