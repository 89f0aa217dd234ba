"""Where a backtest's time goes, stage by stage, and the backtest command's wall time against
other versions of the code, with the CSV identity check (not a test).

Two measurements:

``stages``
    One target's backtest run serially in this process (``--jobs 1``), every stage timed
    exclusively (a stage's time excludes the stages it calls): ``data`` (open the store, read
    the observations and polls, fingerprint), ``inputs`` (information sets, indicator frames,
    the nowcast models' indicator selection and gap filling, calendar regressors),
    ``fit <model>`` (each model's fit and predict), ``combination``, ``calibration``,
    ``store`` (keeping the rows), ``tracking`` (MLflow: runs, metrics, tables) and
    ``plots`` (the PNGs), then ``other``. With ``--code LABEL=PYTHON[@STORE][+PYTHONPATH]`` it
    also measures the code that interpreter imports (e.g. ``+DIR``, an export of another
    commit, first on its path), each on its own store: the same table before and after.
``wall``
    The ``forecasting backtest`` command itself (``--jobs 2``) for each target, each side
    (``--side LABEL=PYTHON[@STORE][+PYTHONPATH]``) on its own fresh copy of a store, sides
    interleaved target by target and repeated, so that all sides see the same machine load
    (the load averages are printed). Each command also reports the seconds it spent in
    ``log_backtest`` (MLflow and plots). With ``--reference-dir`` the last side's CSV of each
    target is compared row by row with ``<dir>/<target>.csv`` (1e-9).

Usage::

    python benchmarks/stage_speed.py stages --store DIR [--target T] [--start] [--end]
        [--code LABEL=PYTHON[@STORE][+PYTHONPATH]] [--json]
    python benchmarks/stage_speed.py wall --side before=/work/baseline/.venv/bin/python@STORE1 \\
        --side after=.venv/bin/python@STORE2 [--repeat 2] [--reference-dir DIR]
    python benchmarks/stage_speed.py quick      # both, tiny, on the bundled data (the tests)

A store is a project root (``configs/forecasting.toml``, ``.state``, ``mlruns``) such as
``/work/bench/setup_store.sh`` builds with the nine reference indicators imported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TARGETS = ("exports_yoy", "imports_yoy")
TOLERANCE = 1e-9


# -- exclusive stage timer -----------------------------------------------------------------------
@dataclass
class StageClock:
    """Exclusive wall time per stage: time is charged to the innermost open stage."""

    seconds: dict[str, float] = field(default_factory=dict)
    _stack: list[tuple[str, float]] = field(default_factory=list)

    def _charge(self, now: float) -> None:
        if self._stack:
            name, since = self._stack[-1]
            self.seconds[name] = self.seconds.get(name, 0.0) + now - since

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        now = time.perf_counter()
        self._charge(now)
        self._stack.append((name, now))
        try:
            yield
        finally:
            now = time.perf_counter()
            self._charge(now)
            self._stack.pop()
            if self._stack:
                self._stack[-1] = (self._stack[-1][0], now)


#: (owner, attribute, original) of every function :func:`_wrap` replaced
_WRAPPED: list[tuple[Any, str, Any]] = []


def _wrap(clock: StageClock, owner: Any, attr: str, stage: str | Callable[..., str]) -> None:
    """Replace ``owner.attr`` (if it exists) by a version timed as ``stage``."""
    fn = getattr(owner, attr, None)
    if fn is None or getattr(fn, "_timed", False):
        return
    _WRAPPED.append((owner, attr, owner.__dict__[attr] if isinstance(owner, type) else fn))

    def timed(*args: Any, **kwargs: Any) -> Any:
        name = stage(*args) if callable(stage) else stage
        with clock.stage(name):
            return fn(*args, **kwargs)

    timed._timed = True  # type: ignore[attr-defined]
    setattr(owner, attr, timed)


def uninstrument() -> None:
    """Put back every function :func:`instrument` replaced."""
    while _WRAPPED:
        owner, attr, original = _WRAPPED.pop()
        setattr(owner, attr, original)


def instrument(clock: StageClock) -> None:
    """Time the stages of a backtest wherever this version of the code defines them
    (:func:`uninstrument` undoes it)."""
    import importlib

    def module(name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError:
            return None

    origin, backtest_mod = module("forecasting.origin"), module("forecasting.backtest")
    for mod, attr in [
        (origin, "information_set"),
        (origin, "indicator_exog"),
        (backtest_mod, "information_set"),  # the code before forecasting/origin.py
        (backtest_mod, "indicator_exog"),
        (module("models.dynamic_regression"), "nowcast_inputs"),  # before models/nowcast.py
        (module("models.dynamic_regression"), "calendar_block"),
        (module("models.nowcast"), "nowcast_inputs"),
        (module("models.bridge"), "calendar_block"),
        (module("models.dfm"), "nowcast_inputs"),
        (module("models.korea_surprise"), "calendar_regressors"),
    ]:
        if mod is not None:
            _wrap(clock, mod, attr, "inputs")
    _wrap(clock, backtest_mod, "combine_at_origins", "combination")
    _wrap(clock, backtest_mod, "calibrated", "calibration")
    plots = module("forecasting.plots")
    for attr in ("forecast_vs_actual_png", "residuals_png", "reliability_png"):
        _wrap(clock, plots, attr, "plots")
    from models.base import Forecaster

    for attr in ("fit", "predict"):
        _wrap(clock, Forecaster, attr, lambda self, *a: f"fit {self.alias}")


# -- stages ------------------------------------------------------------------------------------
def stages(
    store: Path,
    target: str,
    start: str,
    end: str,
    models: list[str] | None,
    warmup: int | None = None,
    out: Path | None = None,
) -> dict:
    """The stage table of one serial backtest command on a copy of ``store`` (see module
    docstring; ``out``: write its CSV there). Returns {"stages": {name: seconds}, "total":
    seconds, "origins": n}."""
    root = Path(tempfile.mkdtemp(prefix="stage-speed-"))
    saved = os.environ.get("FORECASTING_CONFIG")
    try:
        _copy_store(store, root)
        os.environ["FORECASTING_CONFIG"] = str(root / "configs" / "forecasting.toml")
        clock = StageClock()
        instrument(clock)
        t0 = time.perf_counter()
        with clock.stage("other"):
            with clock.stage("data"):
                from forecasting.backtest import data_fingerprint
                from forecasting.service import open_service

                svc = open_service()
                data_fingerprint(svc.observations.frame())
            import forecasting.backtest_store as store_mod

            _wrap(clock, store_mod.BacktestStore, "save", "store")
            _wrap(clock, store_mod.BacktestStore, "load", "store")
            frame = _command(clock, svc, target, start, end, models, warmup, out)
        total = time.perf_counter() - t0
        return {
            "stages": dict(sorted(clock.seconds.items(), key=lambda kv: -kv[1])),
            "total": total,
            "origins": int(frame["period"].nunique()),
        }
    finally:
        uninstrument()
        if saved is None:
            os.environ.pop("FORECASTING_CONFIG", None)
        else:
            os.environ["FORECASTING_CONFIG"] = saved
        shutil.rmtree(root, ignore_errors=True)


def _command(
    clock: StageClock,
    svc: Any,
    target: str,
    start: str,
    end: str,
    models: list[str] | None,
    warmup: int | None,
    out: Path | None,
) -> Any:
    """What ``forecasting backtest`` runs after opening the store, in this version of the
    code: the use case and the tracking (issue 12 on), or ``pipeline.backtest`` (before it:
    it logs and registers the final models itself). Returns the backtest frame."""
    import forecasting.tracking as tracking

    try:
        from forecasting.usecases import backtest, write_backtest_csv
    except ImportError:  # the code before the use cases (e.g. 0b22ea0)
        import forecasting.pipeline as pipeline

        _wrap(clock, tracking, "log_backtest", "tracking")
        _wrap(clock, pipeline, "_register_final_models", "register")
        old = pipeline.backtest(svc, target, start, end, models=models, jobs=1, warmup=warmup)
        if out is not None:
            old.frame.to_csv(out, index=False)
        return old.frame
    result = backtest(svc, target, start, end, models=models, jobs=1, warmup=warmup)
    if out is not None:
        write_backtest_csv(result, out)
    with clock.stage("tracking"):
        tracking.log_backtest(svc.settings, result)
    return result.frame


def _copy_store(store: Path, root: Path) -> None:
    """``store``'s configuration, service store and MLflow store copied to ``root``, without
    the origin rows a command run there left (every origin is fitted, as on a new store)."""
    import sqlite3

    shutil.copytree(store / "configs", root / "configs")
    for part in (".state", "mlruns"):
        if (store / part).exists():
            shutil.copytree(store / part, root / part)
    db = root / ".state" / "forecasting.db"
    if db.exists():
        with contextlib.closing(sqlite3.connect(db)) as conn, conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            for table in sorted(t for t in tables if t.startswith("origin_rows")):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - a table name of ours


def stage_summary(table: dict) -> list[tuple[str, float]]:
    """(stage, seconds) with the fits summed as ``fits`` too, in a fixed order."""
    s = table["stages"]
    fits = {k: v for k, v in s.items() if k.startswith("fit ")}
    order = ["data", "inputs", *sorted(fits, key=lambda k: -fits[k]), "combination"]
    order += ["calibration", "store", "tracking", "plots", "register", "other"]
    rows = [(k, s.get(k, 0.0)) for k in order]
    rows.insert(2 + len(fits), ("fits (all models)", sum(fits.values())))
    return rows


def print_stages(tables: dict[str, dict]) -> None:
    """One column per measured version."""
    labels = list(tables)
    names: list[str] = []
    for t in tables.values():
        names += [k for k, _ in stage_summary(t) if k not in names]
    print(f"{'stage':<22}" + "".join(f"{label:>14}" for label in labels))
    for name in names:
        cells = [dict(stage_summary(tables[label])).get(name, 0.0) for label in labels]
        print(f"{name:<22}" + "".join(f"{c:>13.2f}s" for c in cells))
    print(f"{'total':<22}" + "".join(f"{tables[label]['total']:>13.2f}s" for label in labels))
    mlflow = [
        100 * (dict(stage_summary(t))["tracking"] + dict(stage_summary(t))["plots"]) / t["total"]
        for t in tables.values()
    ]
    print(f"{'MLflow + plots share':<22}" + "".join(f"{m:>13.0f}%" for m in mlflow))


def stages_elsewhere(side: Side, args: argparse.Namespace, target: str) -> dict:
    """The stage table of the code ``side.python`` imports (with ``side.pythonpath``), on
    ``side.store`` (run in a subprocess)."""
    cmd = [str(side.python), __file__, "stages", "--json", "--store", str(side.store)]
    cmd += ["--target", target, "--start", args.start, "--end", args.end]
    if args.warmup is not None:
        cmd += ["--warmup", str(args.warmup)]
    if args.models:
        cmd += ["--models", args.models]
    env = dict(os.environ, PYTHONPATH=side.pythonpath) if side.pythonpath else None
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


# -- wall time of the command ------------------------------------------------------------------
_TIMED_CLI = """
import atexit, json, sys, time
import forecasting.tracking as tracking
spent = [0.0]
inner = tracking.log_backtest
def log_backtest(*a, **k):
    t0 = time.perf_counter()
    try:
        return inner(*a, **k)
    finally:
        spent[0] += time.perf_counter() - t0
tracking.log_backtest = log_backtest
atexit.register(lambda: print("TRACKING_SECONDS", json.dumps(spent[0]), file=sys.stderr))
from forecasting.cli import run
sys.argv = ["forecasting", *sys.argv[1:]]
run()
"""


@dataclass(frozen=True)
class Side:
    """A version of the code: its Python (a venv with it installed, or with ``pythonpath``),
    and the store its backtests run on (copied fresh for every command)."""

    label: str
    python: Path
    store: Path
    pythonpath: str = ""

    @classmethod
    def parse(cls, text: str, default_store: Path | None) -> Side:
        label, rest = text.split("=", 1)
        rest, _, pythonpath = rest.partition("+")
        python, _, store = rest.partition("@")
        if not store and default_store is None:
            raise SystemExit(f"--side {text}: no store (add @DIR or give --store)")
        return cls(label, Path(python), Path(store) if store else default_store, pythonpath)


def run_command(
    side: Side, target: str, start: str, end: str, out: Path, jobs: int, warmup: int | None = None
) -> dict:
    """``forecasting backtest`` of ``side`` on a fresh copy of its store: wall seconds, the
    seconds in ``log_backtest``, the CSV."""
    root = Path(tempfile.mkdtemp(prefix=f"wall-{side.label}-"))
    try:
        _copy_store(side.store, root)
        env = dict(os.environ, FORECASTING_CONFIG=str(root / "configs" / "forecasting.toml"))
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("FORECASTING_DATABASE_URL", None)
        if side.pythonpath:
            env["PYTHONPATH"] = side.pythonpath
        cmd = [str(side.python), "-c", _TIMED_CLI, "backtest", "--target", target]
        cmd += ["--start", start, "--end", end, "--jobs", str(jobs), "--out", str(out)]
        cmd += [] if warmup is None else ["--warmup", str(warmup)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"{side.label} {target} failed:\n{proc.stderr[-2000:]}")
        spent = [ln for ln in proc.stderr.splitlines() if ln.startswith("TRACKING_SECONDS")]
        tracking_s = json.loads(spent[-1].split(" ", 1)[1]) if spent else float("nan")
        return {"wall": wall, "tracking": tracking_s, "csv": out}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def identical(got: Path, want: Path) -> tuple[bool, str]:
    """Whether two backtest CSVs have the same rows and every number within 1e-9."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(got, dtype={"period": str})
    b = pd.read_csv(want, dtype={"period": str})
    keys = ["target", "period", "model", "as_of"]
    if len(a) != len(b) or not a[keys].astype(str).equals(b[keys].astype(str)):
        return False, f"rows differ ({len(a)} vs {len(b)})"
    worst, where = 0.0, ""
    for col in [c for c in b.columns if c not in keys]:
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        if (np.isnan(x) != np.isnan(y)).any():
            return False, f"{col}: NaN pattern differs"
        d = float(np.nanmax(np.abs(x - y), initial=0.0))
        if d > worst:
            worst, where = d, col
    ok = worst <= TOLERANCE
    return ok, f"max |diff| {worst:.3g}" + (f" ({where})" if where else "")


def wall(sides: list[Side], targets: list[str], start: str, end: str, args: Any) -> list[dict]:
    """Every side's command per target, interleaved, ``args.repeat`` times; prints a table."""
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="wall-csv-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for rep in range(args.repeat):
        for target in targets:
            for side in sides:
                load = os.getloadavg()[0]
                csv = out_dir / f"{side.label}_{target}.csv"
                r = run_command(side, target, start, end, csv, args.jobs, args.warmup)
                rows.append({"rep": rep, "target": target, "side": side.label, "load": load, **r})
                print(
                    f"  {side.label:<10} {target:<12} {r['wall']:6.1f} s  (MLflow+plots "
                    f"{r['tracking']:5.1f} s = {100 * r['tracking'] / r['wall']:3.0f}%)  "
                    f"load {load:.2f}",
                    flush=True,
                )
    print(f"\n{'side':<10} " + " ".join(f"{t:>12}" for t in targets) + "   together  MLflow")
    for side in sides:
        mine = [r for r in rows if r["side"] == side.label]
        per = [min(r["wall"] for r in mine if r["target"] == t) for t in targets]
        share = sum(r["tracking"] for r in mine) / sum(r["wall"] for r in mine)
        print(
            f"{side.label:<10} "
            + " ".join(f"{p:>11.1f}s" for p in per)
            + f" {sum(per):>9.1f}s  {100 * share:4.0f}%"
        )
    if len(sides) > 1:
        best = {
            s.label: sum(
                min(r["wall"] for r in rows if r["side"] == s.label and r["target"] == t)
                for t in targets
            )
            for s in sides
        }
        last = sides[-1].label
        for s in sides[:-1]:
            print(f"ratio {s.label}/{last}: {best[s.label] / best[last]:.2f}")
    if args.reference_dir:
        for target in targets:
            ok, text = identical(
                out_dir / f"{sides[-1].label}_{target}.csv",
                Path(args.reference_dir) / f"{target}.csv",
            )
            print(
                f"identity {sides[-1].label} {target}: {'identical' if ok else 'DIFFERS'}, {text}"
            )
    print(f"load averages now: {os.getloadavg()}")
    return rows


# -- quick mode (the test suite runs it) -------------------------------------------------------
QUICK_MODELS = ["naive", "seasonal_ratio", "dynreg", "ensemble"]


def quick(workdir: Path, store: Path | None = None) -> dict:
    """Both measurements on the bundled data, in seconds: two origins without warm-up of a
    small model set (a nowcast model among them), the stage table, the command on one side
    and the identity check of its CSV against the rows of the stage run. ``store``: a
    project root to start from (opened once already, e.g. with a migrated MLflow store, as
    the tests make one); default a copy of the repository's configs.

    Returns:
        {"stages": table, "wall": rows, "identical": bool, "detail": str}.
    """
    root = workdir / "store"
    if store is None:
        shutil.copytree(REPO / "configs", root / "configs")
    else:
        _copy_store(store, root)
    cfg = root / "configs" / "forecasting.toml"
    text = cfg.read_text(encoding="utf-8").splitlines()
    text = [
        "default = [" + ", ".join(f'"{m}"' for m in QUICK_MODELS) + "]"
        if ln.startswith("default")
        else ln
        for ln in text
    ]
    cfg.write_text("\n".join(text) + "\n", encoding="utf-8")
    start, end = "2025-11", "2025-12"
    stage_csv = workdir / "stages.csv"
    table = stages(root, "exports_yoy", start, end, None, warmup=0, out=stage_csv)
    print_stages({"this code": table})
    side = Side("this", Path(sys.executable), root)
    args = argparse.Namespace(
        repeat=1, jobs=1, out_dir=str(workdir / "csv"), reference_dir=None, warmup=0
    )
    rows = wall([side], ["exports_yoy"], start, end, args)
    ok, detail = identical(rows[0]["csv"], stage_csv)
    print(f"identity of the command's CSV and the stage run's: {ok} ({detail})")
    return {"stages": table, "wall": rows, "identical": ok, "detail": detail}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("mode", choices=["stages", "wall", "quick"])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--target", action="append", default=None)
    parser.add_argument("--start", default="2019-01")
    parser.add_argument("--end", default="2026-02")
    parser.add_argument("--models", default=None)
    parser.add_argument("--warmup", type=int, default=None, help="months of warm-up origins")
    parser.add_argument(
        "--code",
        action="append",
        default=[],
        help="LABEL=PYTHON[@STORE][+PYTHONPATH]: measure the code it imports too",
    )
    parser.add_argument("--json", action="store_true", help="print the stage table as JSON")
    parser.add_argument("--side", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--reference-dir", default=None)
    args = parser.parse_args()
    targets = args.target or list(TARGETS)
    models = args.models.split(",") if args.models else None
    if args.mode == "quick":
        quick(Path(tempfile.mkdtemp(prefix="stage-speed-quick-")))
        return
    if args.mode == "stages":
        if args.store is None:
            raise SystemExit("stages: --store DIR is required")
        if args.json:
            table = stages(args.store, targets[0], args.start, args.end, models, args.warmup)
            print(json.dumps(table))
            return
        for target in targets:
            tables = {}
            for spec in args.code:
                side = Side.parse(spec, args.store)
                tables[side.label] = stages_elsewhere(side, args, target)
            tables["this code"] = stages(
                args.store, target, args.start, args.end, models, args.warmup
            )
            n = tables["this code"]["origins"]
            print(f"\n{target} {args.start}..{args.end}, serial, {n} origins")
            print_stages(tables)
        return
    sides = [Side.parse(s, args.store) for s in args.side]
    if not sides:
        raise SystemExit("wall: give at least one --side LABEL=PYTHON[@STORE][+PYTHONPATH]")
    wall(sides, targets, args.start, args.end, args)


if __name__ == "__main__":
    main()
