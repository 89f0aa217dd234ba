"""Honest uncertainty, P(beat), working days and timely exports data, before and after.

    python benchmarks/calibration_eval.py --dir DIR [--png reliability.png] [--no-grid]
    python benchmarks/calibration_eval.py --quick          # tiny range, bundled data only

Not a test (the quick mode is: ``tests/benchmarks/test_calibration_eval.py`` runs it). Reads
the backtest CSVs that ``benchmarks/calibration_backtests.py --out-dir DIR`` writes
(``DIR/backtest_<target>.csv``, the 2006-01..latest backtest with the reference indicators
and China's older prints; ``DIR/observations.csv``) and, when present, the variant rows of
``benchmarks/member_variants.py --dir DIR`` (``DIR/variants_<target>.csv``). Prints, per
target, for 2010–2018 (the sample every choice is made on) and 2019..latest (reported only):

1. the calibration grid on 2010–2018 (ensemble: coverage and interval scores per setting) and
   the setting it picks (:mod:`forecasting.calibration`);
2. per model and the ensemble, before (the models' own bands; CRPS of the Gaussian read off
   the 80% band) and after (calibrated): MAE, 80%/95% coverage, mean 80% width, 80%/95%
   interval (Winkler) scores, CRPS;
3. P(actual > consensus) on the bundled 2016–2018 polls: Brier score per model before/after,
   the ensemble's reliability table, and a reliability PNG (``--png``);
4. the share of the exports ensemble's absolute error in months whose working days differ
   from a year earlier (China's official schedule, :mod:`models.workdays`);
5. each model variant (calendar regressors, more timely exports indicators): its own MAE and
   the ensemble's MAE when it replaces the default, 2010–2018 and 2019..latest; variants that
   lower the 2010–2018 ensemble MAE summed over both targets are kept (the best one per
   model), and the final before/after table applies them.

How the figures of the issue-16 report were produced (about 40 minutes on 2 shared cores)::

    python benchmarks/calibration_backtests.py --out-dir /tmp/calib/base --jobs 2
    python benchmarks/member_variants.py --dir /tmp/calib/base --variants calendar --jobs 1
    python benchmarks/member_variants.py --dir /tmp/calib/base --variants exports_info \
        --start 2019-01 --jobs 2
    python benchmarks/calibration_eval.py --dir /tmp/calib/base --png /tmp/reliability.png

The base CSVs came from the models *without* calendar regressors (the defaults then); with
the calendar now on by default, a new base run has it, and the ``-cal`` variants of the
``calendar`` group give the models without it. (The indicator variants of ``exports_info``
set ``calendar=()`` so that they compare with the same base.) None of the four extra
indicators has the 24 months of overlap a model needs before 2019, so their rows before
2019 equal the defaults and ``--start 2019-01`` loses nothing.

Everything is computed from rows known at each origin: the ensembles are recombined with
``forecasting.backtest.combine_at_origins`` and each row is calibrated on its model's errors
on periods released before its ``as_of``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PRESAMPLE = ("2010-01", "2018-12")
REPORT_START = "2019-01"
TARGETS = ("exports_yoy", "imports_yoy")
COMBINERS = ("ensemble", "ensemble_median")
#: the adaptive-conformal step shown beside the chosen setting when that one does not adapt
ALTERNATIVE_ADAPT = 0.05


@dataclass(frozen=True)
class Samples:
    """The sample every choice is made on, and the one only reported."""

    choose: tuple[str, str] = PRESAMPLE
    report: tuple[str, str] = (REPORT_START, "9999-12")

    def items(self) -> list[tuple[str, tuple[str, str]]]:
        return [
            (f"{self.choose[0][:4]}-{self.choose[1][:4]}", self.choose),
            (f"{self.report[0][:4]}-latest", self.report),
        ]


def in_range(frame: pd.DataFrame, bounds: tuple[str, str]) -> pd.DataFrame:
    p = frame["period"].astype(str)
    return frame[(p >= bounds[0]) & (p <= bounds[1])]


def read_backtest(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"period": str})
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame


def recombine(
    members: pd.DataFrame, observations: pd.DataFrame, target: str, combiners: list[str]
) -> pd.DataFrame:
    """Member rows plus the ensembles formed from them at each origin (known errors only)."""
    from forecasting.backtest import combine_at_origins
    from forecasting.observations import first_release_actuals

    actual = first_release_actuals(observations, target)
    fitted = members[~members["model"].isin(COMBINERS)]
    comb = combine_at_origins(fitted, combiners, observations, target, actual=actual)
    comb["actual"] = comb["period"].map(actual)
    return pd.concat([fitted, comb], ignore_index=True)


def calibrated(frame, released, settings, consensus=None, rows=None, weights=None):  # noqa: ANN001, ANN201
    """``frame``'s rows in ``rows`` (default all) calibrated on the errors of all of it."""
    from forecasting.calibration import forecast_errors
    from forecasting.calibration_frame import calibrate_frame

    errors = forecast_errors(frame, released)
    subset = frame if rows is None else rows
    return calibrate_frame(
        subset, released, settings, errors=errors, consensus=consensus, consensus_weights=weights
    )


#: the grid searched on the choice sample (the ensemble's rows)
GRID = {
    "method": ("absolute", "scaled"),
    "window": (24, 36, 60, 96),
    "jan_feb_window": (0, 12),
    "adapt": (0.0, 0.01, 0.05),
}
#: a setting is admissible when the ensemble's 80% coverage stays within these bounds in every
#: three-year block of the choice sample (36 months: a coverage's sampling sd is ~0.07) on
#: both targets, and its 95% coverage over the sample is at least the second bound
BLOCK_COVERAGE = (0.70, 0.90)
MIN_COVERAGE_95 = 0.90


def grid_search(frames: dict[str, pd.DataFrame], released: dict[str, pd.Series], samples):  # noqa: ANN001, ANN201
    """The ensemble's calibration scores per setting on the choice sample, and the chosen
    setting: among the admissible ones (:data:`BLOCK_COVERAGE`, :data:`MIN_COVERAGE_95`),
    the lowest sum over targets of the 80% and 95% interval scores (all settings if none is
    admissible). Nothing after the choice sample is looked at."""
    import itertools

    from forecasting.calibration import CalibrationSettings
    from forecasting.scoring import interval_table

    lo_year, hi_year = int(samples.choose[0][:4]), int(samples.choose[1][:4])
    blocks = [(f"{y}-01", f"{min(y + 2, hi_year)}-12") for y in range(lo_year, hi_year + 1, 3)]
    rows = []
    for method, window, jf, adapt in itertools.product(*GRID.values()):
        s = CalibrationSettings(
            window=window, method=method, jan_feb_window=jf, adapt=adapt, bandwidth=1.0
        )
        rec = {"method": method, "window": window, "jf": jf, "adapt": adapt, "score": 0.0}
        ok = True
        for target, frame in frames.items():
            ens = in_range(frame[frame["model"] == "ensemble"], samples.choose)
            cal = calibrated(frame, released[target], s, rows=ens)
            t = interval_table(cal).loc["ensemble"]
            short = target[:2]
            rec[f"{short}_cov80"] = t["cov80"]
            rec[f"{short}_cov95"] = t["cov95"]
            rec[f"{short}_is"] = t["is80"] + t["is95"]
            rec["score"] += t["is80"] + t["is95"]
            block_cov = [interval_table(in_range(cal, b)).loc["ensemble", "cov80"] for b in blocks]
            rec[f"{short}_blocks80"] = "/".join(f"{c:.2f}" for c in block_cov)
            ok &= all(BLOCK_COVERAGE[0] <= c <= BLOCK_COVERAGE[1] for c in block_cov)
            ok &= t["cov95"] >= MIN_COVERAGE_95
        rec["admissible"] = ok
        rows.append(rec)
    table = pd.DataFrame(rows)
    pool = table[table["admissible"]] if table["admissible"].any() else table
    best = pool.loc[pool["score"].idxmin()]
    chosen = CalibrationSettings(
        window=int(best["window"]),
        method=str(best["method"]),
        jan_feb_window=int(best["jf"]),
        adapt=float(best["adapt"]),
        bandwidth=1.0,
    )
    return table, chosen


def before_after(frame, released, settings, bounds, consensus=None):  # noqa: ANN001, ANN201
    """(before table, after table, calibrated rows) over ``bounds``."""
    from forecasting.scoring import interval_table

    rows = in_range(frame, bounds)
    before = interval_table(rows)
    cal = calibrated(frame, released, settings, consensus=consensus, rows=rows)
    uncal = cal[cal["yhat"].notna() & cal["actual"].notna() & ~cal["calibrated"]]
    after = interval_table(cal[cal["calibrated"] | cal["yhat"].isna()])
    after["uncal"] = uncal.groupby("model").size().reindex(after.index).fillna(0).astype(int)
    return before, after, cal


def side_by_side(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    cols = ["cov80", "cov95", "width80", "is80", "is95", "crps"]
    out = pd.DataFrame({"n": before["n"], "mae": before["mae"]})
    for c in cols:
        out[f"{c}_b"] = before[c]
        out[f"{c}_a"] = after.get(c, np.nan)
    out["uncal"] = after.get("uncal", 0)
    return out


def beat_section(
    cals: dict[str, pd.DataFrame],
    consensus: pd.DataFrame,
    png: Path | None,
    frames: dict[str, pd.DataFrame] | None = None,
    released: dict[str, pd.Series] | None = None,
    settings=None,  # noqa: ANN001
):  # noqa: ANN201
    """Brier per model before/after and the ensemble's reliability tables on the polls.

    With ``frames`` (the full backtest frames), ``released`` and ``settings`` also the
    calibrated P(beat) centred at ``consensus + λ·(yhat − consensus)``, λ from the polls known
    at each origin (:func:`forecasting.calibration.consensus_weights_at`)."""
    from forecasting.calibration_frame import consensus_weights_at
    from forecasting.compare import surprise_probability
    from forecasting.scoring import brier_score, reliability_png, reliability_table

    parts = []
    for target, cal in cals.items():
        polls = consensus[consensus["target"] == target].set_index("period")["consensus"]
        f = cal[cal["period"].isin(polls.index) & cal["actual"].notna() & cal["yhat"].notna()]
        f = f.assign(consensus=f["period"].map(polls))
        f["p_shrunk"] = np.nan
        if frames is not None and released is not None and not f.empty:
            weights = consensus_weights_at(f, released[target])
            again = calibrated(
                frames[target],
                released[target],
                settings,
                rows=f.drop(columns=["p_beat"]).assign(
                    yhat_lo_80=f["raw_lo_80"], yhat_hi_80=f["raw_hi_80"]
                ),
                consensus=polls,
                weights=weights,
            )
            f["p_shrunk"] = again["p_beat"]
            f["weight"] = weights
        parts.append(f)
    f = pd.concat(parts, ignore_index=True)
    if f.empty:
        print("no polls overlap the backtest")
        return
    beat = (f["actual"] > f["consensus"]).astype(float)
    f = f.assign(beat=beat)
    f["p_before"] = surprise_probability(f["yhat"], f["raw_lo_80"], f["raw_hi_80"], f["consensus"])
    rows = []
    for model, g in f.groupby("model", sort=False):
        rows.append(
            {
                "model": model,
                "n": len(g),
                "brier_before": brier_score(g["p_before"], g["beat"]),
                "brier_after": brier_score(g["p_beat"], g["beat"]),
                "brier_after_shrunk": brier_score(g["p_shrunk"], g["beat"]),
                "last_weight": float(g["weight"].iloc[-1]) if "weight" in g else np.nan,
                "base_rate": float(g["beat"].mean()),
            }
        )
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())
    ens = f[f["model"] == "ensemble"]
    clim = brier_score(np.full(len(ens), 0.5), ens["beat"])
    print(f"(a constant P = 0.5 scores {clim:.3f} on the ensemble's {len(ens)} polls)")
    tables = {
        "ensemble, before (Gaussian on the 80% band)": reliability_table(
            ens["p_before"], ens["beat"]
        ),
        "ensemble, after (calibrated)": reliability_table(ens["p_beat"], ens["beat"]),
    }
    if ens["p_shrunk"].notna().any():
        tables["ensemble, after (calibrated, centre moved towards the consensus)"] = (
            reliability_table(ens["p_shrunk"], ens["beat"])
        )
    for label, table in tables.items():
        print(f"\nreliability, {label}")
        print(table.round(3).to_string(index=False))
    if png is not None:
        print(f"\nwrote {reliability_png(tables, png, 'P(beat) reliability, 2016-2018 polls')}")


def workday_share(frame: pd.DataFrame, samples: Samples) -> None:
    from models.workdays import working_day_difference

    ens = frame[(frame["model"] == "ensemble") & frame["actual"].notna()]
    ens = ens.assign(err=(ens["yhat"] - ens["actual"]).abs())
    ens["wd"] = working_day_difference(ens["period"], "CN", missing="nan").to_numpy()
    for label, bounds in samples.items():
        s = in_range(ens, bounds).dropna(subset=["wd"])
        if s.empty:
            continue
        moved = s["wd"] != 0
        janfeb = s["period"].str[5:].isin(["01", "02"])
        print(
            f"{label}: {int(moved.sum())} of {len(s)} months with a working-day difference "
            f"carry {s.loc[moved, 'err'].sum() / s['err'].sum():.0%} of the ensemble's absolute "
            f"error (MAE {s.loc[moved, 'err'].mean():.2f} there, "
            f"{s.loc[~moved, 'err'].mean():.2f} elsewhere; Jan/Feb alone "
            f"{s.loc[janfeb, 'err'].sum() / s['err'].sum():.0%} of it)"
        )


def variant_section(frames, variants, observations, samples):  # noqa: ANN001, ANN201
    """Each variant's MAE and the recombined ensemble's; the chosen variants per model."""
    results = []
    recombined: dict[str, dict[str, pd.DataFrame]] = {t: {} for t in frames}
    base_mae: dict[tuple[str, str], float] = {}
    for target, frame in frames.items():
        for label, bounds in samples.items():
            e = in_range(frame[frame["model"] == "ensemble"], bounds)
            base_mae[(target, label)] = float((e["yhat"] - e["actual"]).abs().mean())
    names = sorted({v for f in variants.values() for v in f["variant"].unique()})
    for name in names:
        for target, frame in frames.items():
            var = variants.get(target)
            if var is None or name not in set(var["variant"]):
                continue
            rows = var[var["variant"] == name].copy()
            alias = rows["model"].iloc[0]
            rows["actual"] = rows["period"].map(
                frame.drop_duplicates("period").set_index("period")["actual"]
            )
            # the variant's rows replace its model's where it ran, the defaults stay elsewhere
            keep = ~frame["model"].isin(COMBINERS) & ~(
                (frame["model"] == alias) & frame["period"].isin(set(rows["period"]))
            )
            merged = pd.concat([frame[keep], rows.drop(columns=["variant"])], ignore_index=True)
            combined = recombine(merged, observations, target, ["ensemble"])
            recombined[target][name] = combined
            for label, bounds in samples.items():
                own = in_range(combined[combined["model"] == alias], bounds)
                default = in_range(frame[frame["model"] == alias], bounds)
                ens = in_range(combined[combined["model"] == "ensemble"], bounds)
                extra = name.split("+")[-1] if "+" in name else ""
                used = (
                    int(own["used"].fillna("").str.contains(extra).sum())
                    if extra and "used" in own and not name.endswith("cal")
                    else np.nan
                )
                results.append(
                    {
                        "variant": name,
                        "target": target,
                        "sample": label,
                        "model_mae": float((own["yhat"] - own["actual"]).abs().mean()),
                        "default_mae": float((default["yhat"] - default["actual"]).abs().mean()),
                        "ens_mae": float((ens["yhat"] - ens["actual"]).abs().mean()),
                        "ens_base": base_mae[(target, label)],
                        "months_used": used,
                        "failed": int(own["yhat"].isna().sum()),
                    }
                )
    table = pd.DataFrame(results)
    if table.empty:
        return table, {}
    table["ens_delta"] = table["ens_mae"] - table["ens_base"]
    choose_label = samples.items()[0][0]
    pre = (
        table[table["sample"] == choose_label].groupby("variant")["ens_delta"].agg(["sum", "count"])
    )
    pre = pre[pre["count"] == len(frames)]
    chosen: dict[str, str] = {}
    for name, rec in pre.sort_values("sum").iterrows():
        alias = name.split("+")[0].split("-")[0]
        if rec["sum"] < 0 and alias not in chosen:
            chosen[alias] = name
    return table, chosen


def apply_variants(frame, variants, chosen, observations, target):  # noqa: ANN001, ANN201
    """The frame with each chosen variant's rows replacing its model's, ensembles recombined."""
    if not chosen or target not in variants:
        return frame
    var = variants[target]
    actual = frame.drop_duplicates("period").set_index("period")["actual"]
    keep = ~frame["model"].isin(COMBINERS)
    parts = []
    for name in chosen.values():
        rows = var[var["variant"] == name].drop(columns=["variant"]).copy()
        rows["actual"] = rows["period"].map(actual)
        alias = rows["model"].iloc[0]
        keep &= ~((frame["model"] == alias) & frame["period"].isin(set(rows["period"])))
        parts.append(rows)
    parts.insert(0, frame[keep])
    combiners = [c for c in COMBINERS if c in set(frame["model"])]
    return recombine(pd.concat(parts, ignore_index=True), observations, target, combiners)


def report(
    frames: dict[str, pd.DataFrame],
    observations: pd.DataFrame,
    consensus: pd.DataFrame,
    samples: Samples,
    *,
    variants: dict[str, pd.DataFrame] | None = None,
    grid: bool = True,
    png: Path | None = None,
    settings=None,  # noqa: ANN001
) -> dict[str, object]:
    """Print every section; return the chosen settings and variants (for tests)."""
    from forecasting.calibration import DEFAULT_SETTINGS, release_dates_from_backtest
    from forecasting.scoring import interval_table

    pd.set_option("display.width", 200)
    released = {t: release_dates_from_backtest(f) for t, f in frames.items()}
    choose = samples.items()[0][0]
    chosen_variants: dict[str, str] = {}
    if variants:
        print("\n== model variants (MAE; ensemble recombined with the variant in place)")
        vtable, chosen_variants = variant_section(frames, variants, observations, samples)
        print(vtable.round(2).to_string(index=False))
        print(
            f"kept on {choose} (lower ensemble MAE summed over targets): "
            f"{chosen_variants or 'none'}"
        )
    finals = {
        t: apply_variants(f, variants or {}, chosen_variants, observations, t)
        for t, f in frames.items()
    }
    chosen_settings = settings or DEFAULT_SETTINGS
    if grid:
        print(f"\n== calibration grid, ensemble of the final model set, {choose} (choice sample)")
        table, chosen_settings = grid_search(finals, released, samples)
        print(table.round(3).to_string(index=False))
        print(f"chosen: {chosen_settings}")
    cals: dict[str, pd.DataFrame] = {}
    for target, frame in frames.items():
        final = finals[target]
        polls = consensus[consensus["target"] == target].set_index("period")["consensus"]
        for stage, f in (("before (defaults)", frame), ("after (kept variants)", final)):
            if stage.startswith("after") and not chosen_variants:
                continue
            for label, bounds in samples.items():
                b, a, cal = before_after(f, released[target], chosen_settings, bounds, polls)
                print(f"\n== {target} {label}, model set {stage}; _b own bands, _a calibrated")
                print(side_by_side(b, a).round(2).to_string())
                if label == choose and f is final:
                    raw = in_range(f, bounds)
                    cal = cal.assign(raw_lo_80=raw["yhat_lo_80"], raw_hi_80=raw["yhat_hi_80"])
                    cals[target] = cal
    if chosen_settings.adapt == 0:
        alternative = replace(chosen_settings, adapt=ALTERNATIVE_ADAPT)
        print(
            f"\n== the ensemble with adaptive conformal levels (adapt={ALTERNATIVE_ADAPT}), not "
            f"chosen on {choose}: final model set"
        )
        for target, final in finals.items():
            for label, bounds in samples.items():
                rows = in_range(final[final["model"] == "ensemble"], bounds)
                cal = calibrated(final, released[target], alternative, rows=rows)
                t = interval_table(cal).loc["ensemble"]
                print(
                    f"{target} {label}: cov80 {t['cov80']:.3f} cov95 {t['cov95']:.3f} "
                    f"width80 {t['width80']:.2f} is80 {t['is80']:.2f} is95 {t['is95']:.2f} "
                    f"crps {t['crps']:.3f}"
                )
    print("\n== P(actual > consensus) on the bundled polls: Brier (lower is better)")
    beat_section(cals, consensus, png, finals, released, chosen_settings)
    if "exports_yoy" in frames:
        print("\n== exports: the ensemble's error in months with a working-day difference")
        for stage, f in (("defaults", frames["exports_yoy"]), ("final", finals["exports_yoy"])):
            print(f"-- model set: {stage}")
            workday_share(f, samples)
    return {"settings": chosen_settings, "variants": chosen_variants, "calibrated": cals}


def read_dir(directory: Path):  # noqa: ANN201
    frames = {
        t: read_backtest(directory / f"backtest_{t}.csv")
        for t in TARGETS
        if (directory / f"backtest_{t}.csv").exists()
    }
    variants = {}
    for t in frames:
        path = directory / f"variants_{t}.csv"
        if path.exists():
            v = pd.read_csv(path, dtype={"period": str})
            v["as_of"] = pd.to_datetime(v["as_of"]).dt.date
            variants[t] = v
    obs = pd.read_csv(directory / "observations.csv", dtype={"period": str})
    obs["released"] = pd.to_datetime(obs["released"]).dt.date
    return frames, variants, obs


def bundled_consensus() -> pd.DataFrame:
    return pd.read_csv(ROOT / "forecasting" / "snapshot" / "consensus.csv", dtype={"period": str})


def quick(png: Path | None = None) -> dict[str, object]:
    """The whole report on a tiny backtest of the bundled snapshot (no reference data)."""
    from forecasting.calibration import CalibrationSettings

    tmp = Path(tempfile.mkdtemp(prefix="calib-quick-"))
    try:
        shutil.copytree(ROOT / "configs", tmp / "configs")
        os.environ["FORECASTING_CONFIG"] = str(tmp / "configs" / "forecasting.toml")
        os.environ.pop("FORECASTING_DATABASE_URL", None)
        from forecasting.backtest import run_backtest
        from forecasting.service import open_service

        svc = open_service()
        obs = svc.observations.frame()
        aliases = ["naive", "seasonal_ratio", "kr_surprise", "ensemble"]
        frames = {
            "exports_yoy": run_backtest(obs, "exports_yoy", "2017-01", "2018-12", aliases, warmup=0)
        }
        samples = Samples(choose=("2018-01", "2018-06"), report=("2018-07", "2018-12"))
        settings = CalibrationSettings(window=12, min_errors=6)
        return report(
            frames, obs, bundled_consensus(), samples, grid=False, png=png, settings=settings
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--png", type=Path, default=None)
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    warnings.simplefilter("ignore")
    if args.quick:
        quick(args.png)
        return 0
    if args.dir is None:
        parser.error("--dir is required unless --quick")
    frames, variants, obs = read_dir(args.dir)
    if not frames:
        print(f"no backtest_<target>.csv in {args.dir}", file=sys.stderr)
        return 1
    report(
        frames,
        obs,
        bundled_consensus(),
        Samples(),
        variants=variants,
        grid=not args.no_grid,
        png=args.png,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
