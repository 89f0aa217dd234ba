"""Use case: whether a target's consensus polls are recent.

The balance was polled 2016–2018 only: the API and the dashboard say "no recent consensus
poll (the last one stored is for 2018-12)" for it rather than leaving the consensus blank. A
poll is recent when its period is within ``backtest.recent_window`` months (36) of the period
asked about, the window ``last-release`` uses for the same note. Pure over the stores.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["PollRecency", "poll_recency"]


@dataclass(frozen=True)
class PollRecency:
    """``last_polled``: the latest period with a poll stored (None: no poll at all);
    ``recent``: it lies within ``window`` months before ``period`` (or after it)."""

    target: str
    period: str
    last_polled: str | None
    window: int

    @property
    def recent(self) -> bool:
        if self.last_polled is None:
            return False
        gap = pd.Period(self.period, freq="M") - pd.Period(self.last_polled, freq="M")
        return gap.n < self.window

    def note(self, polled_now: bool = False) -> str | None:
        """What to show in place of a missing consensus (None when ``polled_now``, i.e. a
        poll is stored for the period itself)."""
        if polled_now:
            return None
        if self.last_polled is None:
            return "no consensus poll stored"
        if not self.recent:
            return f"no recent consensus poll (the last one stored is for {self.last_polled})"
        return f"no poll stored yet for {self.period}"

    def as_dict(self) -> dict:
        return {"last_polled_period": self.last_polled, "recent_poll": self.recent}


def poll_recency(service, target: str, period: str) -> PollRecency:  # noqa: ANN001 - Service
    """How recent ``target``'s latest poll is, seen from ``period`` (YYYY-MM)."""
    polled = service.consensus.frame(target)["period"].dropna()
    last = str(max(polled)) if len(polled) else None
    return PollRecency(target, period, last, service.settings.backtest.recent_window)
