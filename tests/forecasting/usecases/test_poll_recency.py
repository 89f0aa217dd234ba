"""What stands in for a missing consensus: a poll is recent within the window (months before
the period asked about); the note names the last poll stored."""

from __future__ import annotations

import pytest

from forecasting.usecases.poll_recency import PollRecency


@pytest.mark.parametrize(
    ("last", "recent"),
    [("2026-11", True), ("2023-12", True), ("2023-11", False), ("2018-12", False)],
)
def test_a_poll_is_recent_within_the_window(last: str, recent: bool) -> None:
    seen = PollRecency("balance_usd_bn", "2026-11", last, window=36)
    assert seen.recent is recent
    assert seen.as_dict() == {"last_polled_period": last, "recent_poll": recent}


def test_the_note_says_why_there_is_no_consensus() -> None:
    old = PollRecency("balance_usd_bn", "2026-11", "2018-12", window=36)
    assert old.note() == "no recent consensus poll (the last one stored is for 2018-12)"
    assert old.note(polled_now=True) is None
    fresh = PollRecency("exports_yoy", "2026-11", "2026-10", window=36)
    assert fresh.note() == "no poll stored yet for 2026-11"
    never = PollRecency("exports_yoy", "2026-11", None, window=36)
    assert never.note() == "no consensus poll stored" and never.recent is False
