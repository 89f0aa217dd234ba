"""Rebuild the bundled snapshot from ``../shared/data/public`` (run by hand when it changes).

Rules (also in ``forecasting/snapshot/PROVENANCE.md``):
- ``china_trade_releases.csv`` is the primary source: exports_yoy, imports_yoy, balance_usd_bn
  with their release date and source URLs;
- ``china_trade_releases_extra.csv`` adds the months the primary lacks (2014-2015, 2026-03..05)
  and USD levels (exports_usd_bn, imports_usd_bn) wherever a report states them; where both
  files give a y/y or balance for the same month the primary wins;
- ``kr_exports_first_release.csv`` (when present) adds South Korea's full-month exports y/y and
  exports-to-China y/y as first released, with their release dates (leading indicators);
- a blank cell stays missing: no row is written for it.

Usage: python scripts/build_snapshot.py [--public ../shared/data/public]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "forecasting" / "snapshot" / "china_trade_observations.csv"
CONSENSUS_OUT = ROOT / "forecasting" / "snapshot" / "consensus.csv"


def build(public: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    primary = list(csv.DictReader((public / "china_trade_releases.csv").open(encoding="utf-8")))
    released: dict[str, str] = {}
    for r in primary:
        released[r["period"]] = r["release_date"]
        src = "GACC via news: " + r["source_urls"].strip()
        for series in ("exports_yoy", "imports_yoy", "balance_usd_bn"):
            if r[series].strip():
                rows.append(_row(series, r["period"], r[series], r["release_date"], src))
    extra_path = public / "china_trade_releases_extra.csv"
    for r in csv.DictReader(extra_path.open(encoding="utf-8")):
        period = r["period"]
        date = r["release_date"].strip() or released.get(period, "")
        if not date:
            continue  # no release date anywhere: the figure cannot enter a vintaged store
        src = f"GACC via news: {r['url'].strip()} ({r['note'].strip()})"
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
            src = f"MOTIE via news: {r['url'].strip()} ({r['note'].strip()})"
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


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--public", type=Path, default=ROOT.parent / "shared" / "data" / "public")
    args = parser.parse_args()
    rows = build(args.public)
    _write(OUT, rows)
    cons = build_consensus(args.public)
    _write(CONSENSUS_OUT, cons)
    print(f"wrote {len(rows)} observations to {OUT} and {len(cons)} consensus rows")


if __name__ == "__main__":
    main()
