"""Use case: how current the stores are (``forecasting data status``).

Pure over the stores, ``today`` an argument: per series, the last period stored (as known on
``today``: rows released on or before it), its release date, the next period due and its
expected release date, and the periods already due that the store lacks (*overdue*). The
customs series take their dates from the release calendar (published dates, else the
documented rule); the indicators from their release rule in :mod:`forecasting.series`. For the
targets it also gives the consensus known for the next release. It ends with the exact
``forecasting data add`` / ``forecasting consensus add`` lines that fill what is missing, with
placeholders for the values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Literal

import pandas as pd

from forecasting.calendar import ReleaseCalendar, load_release_calendar
from forecasting.config import TARGETS
from forecasting.consensus import consensus_at
from forecasting.observations import first_release_dates
from forecasting.series import SERIES
from forecasting.service import Service
from forecasting.snapshot_loader import loaded_snapshot_version, snapshot_version
from models.periods import next_target_periods

__all__ = [
    "ConsensusKnown",
    "DataStatus",
    "Due",
    "SeriesStatus",
    "data_status",
    "overdue_summary",
]

Kind = Literal["target", "customs", "indicator"]
#: beyond this many overdue periods of an indicator, one file import is proposed, not lines
MAX_LINES_PER_INDICATOR = 3
VALUE = "<value>"
_ADD_OPTION = {"exports_yoy": "--exports-yoy", "imports_yoy": "--imports-yoy"}
_ADD_OPTION["balance_usd_bn"] = "--balance"


@dataclass(frozen=True)
class Due:
    """A period and the day its figure is (or was) expected: ``basis`` says where the date
    comes from (``data``, ``calendar`` for GACC's published dates, ``estimated`` by the
    calendar's rule, ``rule`` for an indicator's release rule)."""

    period: str
    release: date
    basis: str


@dataclass(frozen=True)
class ConsensusKnown:
    """The consensus stored for a release: the latest poll, Bloomberg first on a tie."""

    value: float
    source: str
    polled_on: date | None


@dataclass(frozen=True)
class SeriesStatus:
    """One series. ``next_due``: the period after the last stored one; ``overdue``: every
    period after the last stored one whose release date is before ``today``; ``tracked``:
    False for a series stored only where a report states it (customs levels), never overdue.
    The configured targets also carry ``next_release`` (the first release on or after
    ``today``), the consensus known for it (None: none stored) and ``no_consensus``, the
    overdue periods and the next release without a stored consensus."""

    series: str
    kind: Kind
    description: str
    last_period: str | None
    last_released: date | None
    next_due: Due | None
    overdue: tuple[Due, ...]
    tracked: bool = True
    next_release: Due | None = None
    consensus: ConsensusKnown | None = None
    no_consensus: tuple[str, ...] = ()

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue)


@dataclass(frozen=True)
class DataStatus:
    """What ``forecasting data status`` shows.

    ``lines``: the commands to type for what is missing (values as ``<value>``);
    ``missing_consensus``: ``(target, period)`` of the configured targets' overdue and next
    releases that have no consensus stored.
    """

    today: date
    series: tuple[SeriesStatus, ...]
    snapshot_bundled: str
    snapshot_loaded: str | None
    missing_consensus: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]

    @property
    def overdue(self) -> list[SeriesStatus]:
        return [s for s in self.series if s.is_overdue]

    def get(self, series: str) -> SeriesStatus | None:
        return next((s for s in self.series if s.series == series), None)

    def summary(self) -> str | None:
        """One line naming what is overdue (None when nothing is), e.g. ``data overdue:
        exports_yoy, imports_yoy 2026-09, 2026-10; kr_exports_yoy 2026-10; ...``."""
        if not self.overdue:
            return None
        groups: dict[tuple[str, ...], list[str]] = {}
        for s in self.overdue:
            groups.setdefault(tuple(d.period for d in s.overdue), []).append(s.series)
        parts = [f"{', '.join(names)} {_periods_text(ps)}" for ps, names in groups.items()]
        text = "data overdue: " + "; ".join(parts)
        nexts = sorted(
            {s.next_release.period for s in self.series if s.next_release and not s.consensus}
        )
        if nexts:
            text += f"; no consensus for the next release ({', '.join(nexts)})"
        return text + " (forecasting data status lists the lines to type)"

    def as_dict(self) -> dict:
        def series_dict(s: SeriesStatus) -> dict:
            d = asdict(s)
            d["is_overdue"] = s.is_overdue
            return d

        return _jsonable(
            {
                "today": self.today,
                "snapshot_bundled": self.snapshot_bundled,
                "snapshot_loaded": self.snapshot_loaded,
                "series": [series_dict(s) for s in self.series],
                "missing_consensus": [
                    {"target": t, "period": p} for t, p in self.missing_consensus
                ],
                "lines": list(self.lines),
            }
        )


def data_status(service: Service, today: date) -> DataStatus:
    """The status of every series the store holds (and of the configured targets), as known
    on ``today``: figures released on or before ``today`` count as stored.

    Returns:
        a :class:`DataStatus`.
    """
    obs = service.observations.frame()
    obs = obs[obs["released"] <= today]
    calendar = load_release_calendar(
        service.settings.calendar_path, first_release_dates(obs, "exports_yoy").to_dict()
    )
    configured = service.settings.targets.names
    held = set(obs["series"])
    statuses = []
    for name, spec in SERIES.items():
        if name not in held and name not in configured:
            continue
        first = first_release_dates(obs, name)
        last = max(first.index) if len(first) else None
        last_released = first[last] if last is not None else None
        if spec.release_rule is None:
            status = _customs_status(name, last, last_released, calendar, today)
        else:
            status = _indicator_status(name, last, last_released, today)
        if name in configured:
            status = _with_consensus(status, service, calendar, today)
        statuses.append(status)
    missing = _missing_consensus(statuses, configured)
    return DataStatus(
        today=today,
        series=tuple(statuses),
        snapshot_bundled=snapshot_version(),
        snapshot_loaded=loaded_snapshot_version(service.engine),
        missing_consensus=missing,
        lines=tuple(_lines(statuses, missing)),
    )


def overdue_summary(service: Service, today: date) -> str | None:
    """The one-line summary of what is overdue on ``today`` (None when nothing is): what
    ``forecast``, ``run`` and the scheduler's jobs print."""
    return data_status(service, today).summary()


def _customs_status(
    name: str, last: str | None, last_released: date | None, cal: ReleaseCalendar, today: date
) -> SeriesStatus:
    spec = SERIES[name]
    kind: Kind = "target" if name in TARGETS else "customs"
    if last is None:
        return SeriesStatus(name, kind, spec.description, None, None, None, ())
    after = pd.Period(last, freq="M")
    nxt = cal.release(next_target_periods(after, 1)[0])
    tracked = kind == "target"
    overdue = (
        tuple(_due(r.period, r.date, r.basis) for r in cal.released_between(after, today))
        if tracked
        else ()
    )
    return SeriesStatus(
        name,
        kind,
        spec.description,
        last,
        last_released,
        _due(nxt.period, nxt.date, nxt.basis),
        overdue,
        tracked=tracked,
    )


def _indicator_status(
    name: str, last: str | None, last_released: date | None, today: date
) -> SeriesStatus:
    spec = SERIES[name]
    rule = spec.release_rule
    assert rule is not None
    if last is None:
        return SeriesStatus(name, "indicator", spec.description, None, None, None, ())
    p = pd.Period(last, freq="M") + 1
    next_due = _due(p, rule(p), "rule")
    overdue: list[Due] = []
    while rule(p) < today and len(overdue) < 240:
        overdue.append(_due(p, rule(p), "rule"))
        p += 1
    return SeriesStatus(
        name, "indicator", spec.description, last, last_released, next_due, tuple(overdue)
    )


def _with_consensus(
    status: SeriesStatus, service: Service, cal: ReleaseCalendar, today: date
) -> SeriesStatus:
    """The target's next release (on or after ``today``) and the consensus stored for it."""
    if status.last_period is None:
        return status
    rel = cal.next_due(today, after=pd.Period(status.last_period, freq="M"))
    best = consensus_at(service.consensus.frame(status.series))
    row = best[best["period"] == str(rel.period)]
    known = None
    if not row.empty:
        r = row.iloc[0]
        polled = r["polled_on"] if isinstance(r["polled_on"], date) else None
        known = ConsensusKnown(float(r["consensus"]), str(r["source"]), polled)
    polled_periods = set(best["period"])
    wanted = dict.fromkeys([*(d.period for d in status.overdue), str(rel.period)])
    return replace(
        status,
        next_release=_due(rel.period, rel.date, rel.basis),
        consensus=known,
        no_consensus=tuple(p for p in wanted if p not in polled_periods),
    )


def _missing_consensus(
    statuses: list[SeriesStatus], configured: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    """``(target, period)`` of the configured targets' overdue and next releases without a
    stored consensus, by period."""
    pairs = [(s.series, p) for s in statuses if s.series in configured for p in s.no_consensus]
    return tuple(sorted(pairs, key=lambda tp: (tp[1], configured.index(tp[0]))))


def _lines(statuses: list[SeriesStatus], missing: tuple[tuple[str, str], ...]) -> list[str]:
    """The commands to type: one ``data add`` per overdue customs period (the targets of that
    period together), one per overdue indicator period (a file import beyond
    :data:`MAX_LINES_PER_INDICATOR`), one ``consensus add`` per missing consensus."""
    lines: list[str] = []
    by_period: dict[str, tuple[Due, list[str]]] = {}
    for s in statuses:
        if s.kind == "target":
            for d in s.overdue:
                by_period.setdefault(d.period, (d, []))[1].append(s.series)
    for period in sorted(by_period):
        due, names = by_period[period]
        values = " ".join(f"{_ADD_OPTION[n]} {VALUE}" for n in TARGETS if n in names)
        lines.append(
            f"forecasting data add --period {period} {values} --released {due.release.isoformat()}"
        )
    for s in statuses:
        if s.kind != "indicator" or not s.overdue:
            continue
        if len(s.overdue) > MAX_LINES_PER_INDICATOR:
            months = _periods_text(d.period for d in s.overdue)
            lines.append(
                f"forecasting data import --series {s.series} {s.series}.csv"
                f"  # rows period,value,unit,source for {months}"
            )
            continue
        lines.extend(
            f"forecasting data add --series {s.series} --period {d.period} --value {VALUE} "
            f"--released {d.release.isoformat()}"
            for d in s.overdue
        )
    lines.extend(
        f"forecasting consensus add --target {target} --period {period} --value {VALUE} "
        "--source <bloomberg|reuters|wsj|other> --polled-on <YYYY-MM-DD>"
        for target, period in missing
    )
    return lines


def _due(period: pd.Period, release: date, basis: str) -> Due:
    return Due(str(period), release, basis)


def _periods_text(periods: object) -> str:
    ps = list(periods)  # type: ignore[call-overload]
    if len(ps) > 3:
        return f"{ps[0]}..{ps[-1]} ({len(ps)} months)"
    return ", ".join(ps)


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
