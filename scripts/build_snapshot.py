"""Rebuild the bundled snapshot from ``../shared/data/public`` (run by hand when it changes).

Rules (also in ``forecasting/snapshot/PROVENANCE.md``):
- ``china_trade_releases.csv`` is the primary source: exports_yoy, imports_yoy, balance_usd_bn
  with their release date, source URLs and the compilers' note;
- ``china_trade_releases_extra.csv`` adds the months the primary lacks (2014-2015) and USD
  levels (exports_usd_bn, imports_usd_bn) wherever a report states them; where both files give
  a y/y or balance for the same month the primary wins;
- ``kr_exports_first_release.csv`` (when present) adds South Korea's full-month exports y/y and
  exports-to-China y/y as first released, with their release dates (leading indicators);
- a blank cell stays missing: no row is written for it.

Versions and corrections. The snapshot's version (``version.txt``) is the last China customs
period it holds and a build number for that period (``2026-08.1``; the unversioned snapshot
before it, which ended at 2026-05, is ``2026-05.1``). A rebuild compares its rows with the
snapshot it replaces: a row whose value changed for the same ``(series, period, released)`` is a
correction, one whose source text alone changed a source update; each is appended to
``corrections.csv`` (the old value and source, the snapshot that had them and the one that
changes them), and a corrected row's source says so. The service uses that file to bring a
store loaded from an older snapshot up to date without touching a row a user added.
A row that disappears from the snapshot is reported here and left in stores (never deleted).

Usage: python scripts/build_snapshot.py [--public ../shared/data/public]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "forecasting" / "snapshot"
OUT = SNAPSHOT / "china_trade_observations.csv"
CONSENSUS_OUT = SNAPSHOT / "consensus.csv"
CORRECTIONS_OUT = SNAPSHOT / "corrections.csv"
VERSION_OUT = SNAPSHOT / "version.txt"

OBSERVATION_FIELDS = ("series", "period", "value", "released", "source")
CORRECTION_FIELDS = (
    "series",
    "period",
    "released",
    "change",
    "old_value",
    "old_source",
    "old_snapshot",
    "snapshot",
)
Key = tuple[str, str, str]


def _with_note(text: str, note: str) -> str:
    note = note.strip()
    return f"{text} ({note})" if note else text


def build(public: Path) -> list[dict[str, str]]:
    """The snapshot's observation rows from the public files (before correction notes)."""
    rows: list[dict[str, str]] = []
    primary = list(csv.DictReader((public / "china_trade_releases.csv").open(encoding="utf-8")))
    released: dict[str, str] = {}
    for r in primary:
        released[r["period"]] = r["release_date"]
        src = _with_note("GACC via news: " + r["source_urls"].strip(), r["note"])
        for series in ("exports_yoy", "imports_yoy", "balance_usd_bn"):
            if r[series].strip():
                rows.append(_row(series, r["period"], r[series], r["release_date"], src))
    extra_path = public / "china_trade_releases_extra.csv"
    for r in csv.DictReader(extra_path.open(encoding="utf-8")):
        period = r["period"]
        date = r["release_date"].strip() or released.get(period, "")
        if not date:
            continue  # no release date anywhere: the figure cannot enter a vintaged store
        src = _with_note(f"GACC via news: {r['url'].strip()}", r["note"])
        if period not in released:
            for series in ("exports_yoy", "imports_yoy", "balance_usd_bn"):
                if r[series].strip():
                    rows.append(_row(series, period, r[series], date, src))
        for series in ("exports_usd_bn", "imports_usd_bn"):
            if r[series].strip():
                rows.append(_row(series, period, r[series], date, src))
    korea = public / "kr_exports_first_release.csv"
    if korea.exists():
        for r in csv.DictReader(korea.open(encoding="utf-8")):
            date = r["release_date"].strip()
            if not date:
                continue
            src = _with_note(f"MOTIE via news: {r['url'].strip()}", r["note"])
            for column, series in (
                ("exports_yoy", "kr_exports_yoy"),
                ("exports_to_china_yoy", "kr_exports_to_china_yoy"),
            ):
                if r[column].strip():
                    rows.append(_row(series, r["period"], r[column], date, src))
    rows.sort(key=lambda x: (x["series"], x["period"], x["released"]))
    return rows


def _row(series: str, period: str, value: str, date: str, source: str) -> dict[str, str]:
    return {
        "series": series,
        "period": period,
        "value": str(float(value)),
        "released": date,
        "source": source,
    }


def _key(row: dict[str, str]) -> Key:
    return (row["series"], row["period"], row["released"])


def correction_note(c: dict[str, str]) -> str:
    """The text a corrected row's source carries for one value correction."""
    was = f"was {c['old_value']} in snapshot {c['old_snapshot']}"
    return f" [correction in snapshot {c['snapshot']}: {was}]"


def with_correction_notes(
    rows: list[dict[str, str]], corrections: list[dict[str, str]]
) -> list[dict[str, str]]:
    """``rows`` whose source carries a note for each value correction recorded for it."""
    notes: dict[Key, str] = {}
    for c in corrections:
        if c["change"] == "value":
            notes[_key(c)] = notes.get(_key(c), "") + correction_note(c)
    return [{**r, "source": r["source"] + notes.get(_key(r), "")} for r in rows]


def last_customs_period(rows: list[dict[str, str]]) -> str:
    return max(r["period"] for r in rows if r["series"] == "exports_yoy")


def next_version(previous: str | None, last_period: str, changed: bool) -> str:
    """``LAST_PERIOD.BUILD``: build 1 for a new last period, the next build for new content
    on the same period, the previous version when nothing changed."""
    if previous and not changed:
        return previous
    if previous and previous.split(".")[0] == last_period:
        return f"{last_period}.{int(previous.split('.')[1]) + 1}"
    return f"{last_period}.1"


def diff(
    previous: list[dict[str, str]], current: list[dict[str, str]], old: str, new: str
) -> tuple[list[dict[str, str]], list[Key]]:
    """The corrections from ``previous`` to ``current`` rows (same key, another value or
    source) and the keys that disappeared."""
    now = {_key(r): r for r in current}
    changes = []
    for r in previous:
        c = now.get(_key(r))
        if c is None or (c["value"], c["source"]) == (r["value"], r["source"]):
            continue
        changes.append(
            {
                "series": r["series"],
                "period": r["period"],
                "released": r["released"],
                "change": "value" if float(c["value"]) != float(r["value"]) else "source",
                "old_value": r["value"],
                "old_source": r["source"],
                "old_snapshot": old,
                "snapshot": new,
            }
        )
    gone = [_key(r) for r in previous if _key(r) not in now]
    return changes, gone


def build_consensus(public: Path) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for r in csv.DictReader((public / "consensus_2016_2018.csv").open(encoding="utf-8")):
        if not r["consensus"].strip():
            continue
        out.append(
            {
                "target": r["indicator"],
                "period": r["period"],
                "consensus": str(float(r["consensus"])),
                "source": r["poll"].strip() or "other",
                "n_economists": r["n_economists"].strip(),
                "polled_on": "",
                "note": f"{r['url'].strip()} {r['note'].strip()}".strip(),
            }
        )
    brief = "Bloomberg consensus as quoted in the project brief (DEVELOPERS.md / DESIGN.md)"
    for target, value in (("exports_yoy", "3.1"), ("imports_yoy", "0.9")):
        out.append(
            {
                "target": target,
                "period": "2025-12",
                "consensus": value,
                "source": "bloomberg",
                "n_economists": "",
                "polled_on": "",
                "note": brief,
            }
        )
    return out


def _read(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict[str, str]], fields: tuple[str, ...] | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields or rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--public", type=Path, default=ROOT.parent / "shared" / "data" / "public")
    args = parser.parse_args()
    previous = _read(OUT)
    old_version = (
        VERSION_OUT.read_text(encoding="utf-8").strip()
        if VERSION_OUT.exists()
        else (f"{last_customs_period(previous)}.1" if previous else None)
    )
    corrections = _read(CORRECTIONS_OUT)
    base = build(args.public)
    candidate = with_correction_notes(base, corrections)
    last = last_customs_period(candidate)
    tentative = next_version(old_version, last, changed=True)
    changes, gone = diff(previous, candidate, old_version or "", tentative)
    changed = bool(changes) or {_key(r) for r in previous} != {_key(r) for r in candidate}
    version = next_version(old_version, last, changed)
    corrections += changes
    rows = with_correction_notes(base, corrections)
    _write(OUT, rows)
    _write(CORRECTIONS_OUT, corrections, CORRECTION_FIELDS)
    VERSION_OUT.write_text(version + "\n", encoding="utf-8")
    cons = build_consensus(args.public)
    _write(CONSENSUS_OUT, cons)
    added = len({_key(r) for r in rows} - {_key(r) for r in previous})
    print(
        f"snapshot {version}: wrote {len(rows)} observations ({added} new) to {OUT}, "
        f"{len(cons)} consensus rows; {sum(c['change'] == 'value' for c in changes)} value "
        f"correction(s) and {sum(c['change'] == 'source' for c in changes)} source update(s) "
        f"recorded in {CORRECTIONS_OUT.name}"
    )
    for key in gone:
        print(f"warning: {key} is no longer in the snapshot; stores keep it (never deleted)")


if __name__ == "__main__":
    main()
