"""A bad-input and fault probe of the installed ``forecasting`` command (not a test).

Runs hostile inputs and faults against a throw-away project, each in a subprocess of the
console script, and checks: the documented exit code, one line on stderr for a refusal, no
traceback, and the service store byte-identical after every refusal. Prints a table (case,
exit code, first line of stderr) and exits 1 if any case broke its expectation.

    .venv/bin/python scripts/fault_probe.py [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("forecasting"))
PASSWORD = "Pr0be-secret"
OBS = "series,period,value,released,source\n"
POLLS = "target,period,consensus,source,n_economists,polled_on,note\n"
ONE = "period,value,unit,source\n"


@dataclass
class Case:
    name: str
    args: list[str]
    expect: int
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, bytes | str] = field(default_factory=dict)
    changes_store: bool = False


@dataclass
class Outcome:
    case: Case
    code: int
    first: str
    problems: list[str]


def store_digest(db: Path) -> str:
    if not db.exists():
        return ""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return hashlib.sha256(db.read_bytes()).hexdigest()


def cases(root: Path) -> list[Case]:
    d = root / "in"
    big = "x" * 140_000
    garbage = root / "garbage.db"
    truncated = root / "truncated.db"
    return [
        Case("usage: data add without options", ["data", "add"], 2),
        Case("usage: unknown command", ["frobnicate"], 2),
        Case(
            "usage: --exports-yoy abc",
            [
                "data",
                "add",
                "--period",
                "2026-10",
                "--released",
                "2026-11-07",
                "--exports-yoy",
                "abc",
            ],
            2,
        ),
        Case(
            "usage: --n 2.5",
            [
                "consensus",
                "add",
                "--target",
                "exports_yoy",
                "--period",
                "2026-11",
                "--value",
                "1",
                "--source",
                "reuters",
                "--n",
                "2.5",
            ],
            2,
        ),
        Case("a directory as input", ["data", "import", str(d)], 3),
        Case("a missing file", ["data", "import", str(d / "missing.csv")], 3),
        Case("an unreadable file (EIO)", ["data", "import", "/proc/self/mem"], 3),
        Case("a dangling symlink", ["data", "import", str(d / "dangling.csv")], 3),
        Case(
            "a cell over 131,072 characters",
            ["data", "import", str(d / "big.csv")],
            3,
            files={"big.csv": OBS + f"exports_yoy,2026-09,7.5,2026-10-13,{big}\n"},
        ),
        Case(
            "n_economists=inf",
            ["consensus", "import", str(d / "inf.csv")],
            3,
            files={"inf.csv": POLLS + "exports_yoy,2026-11,3.0,reuters,inf,2026-11-20,\n"},
        ),
        Case(
            "value 1_0",
            ["data", "import", str(d / "us.csv")],
            3,
            files={"us.csv": OBS + "exports_yoy,2026-09,1_0,2026-10-13,x\n"},
        ),
        Case(
            "value nan",
            ["data", "import", str(d / "nan.csv")],
            3,
            files={"nan.csv": OBS + "exports_yoy,2026-09,nan,2026-10-13,x\n"},
        ),
        Case(
            "duplicated value column",
            ["data", "import", str(d / "dup.csv")],
            3,
            files={
                "dup.csv": "series,period,value,value,released,source\n"
                "exports_yoy,2026-09,7.5,8.5,2026-10-13,x\n"
            },
        ),
        Case(
            "non-ISO date 20261013",
            ["data", "import", str(d / "d1.csv")],
            3,
            files={"d1.csv": OBS + "exports_yoy,2026-09,7.5,20261013,x\n"},
        ),
        Case(
            "ISO week date 2026-W41-2",
            ["data", "import", str(d / "d2.csv")],
            3,
            files={"d2.csv": OBS + "exports_yoy,2026-09,7.5,2026-W41-2,x\n"},
        ),
        Case(
            "full-width digits",
            ["data", "import", str(d / "d3.csv")],
            3,
            files={"d3.csv": OBS + "exports_yoy,２０２６-09,7.5,2026-10-13,x\n"},
        ),
        Case(
            "period 202609",
            ["data", "import", str(d / "d4.csv")],
            3,
            files={"d4.csv": OBS + "exports_yoy,202609,7.5,2026-10-13,x\n"},
        ),
        Case(
            "released before the month ended",
            ["data", "import", str(d / "early.csv")],
            3,
            files={"early.csv": OBS + "exports_yoy,2026-09,7.5,2026-09-20,x\n"},
        ),
        Case(
            "released in the future",
            ["data", "import", str(d / "future.csv")],
            3,
            files={"future.csv": OBS + "exports_yoy,2026-09,7.5,2099-10-13,x\n"},
        ),
        Case(
            "a January from 2020",
            ["data", "import", str(d / "jan.csv")],
            3,
            files={"jan.csv": OBS + "exports_yoy,2024-01,7.5,2024-03-07,x\n"},
        ),
        Case(
            "unknown series",
            ["data", "import", str(d / "gdp.csv")],
            3,
            files={"gdp.csv": OBS + "gdp,2026-09,7.5,2026-10-13,x\n"},
        ),
        Case(
            "--series unknown",
            ["data", "import", "--series", "gdp", str(d / "one.csv")],
            3,
            files={"one.csv": ONE + "2026-09,50.1,index,x\n"},
        ),
        Case("empty file", ["data", "import", str(d / "empty.csv")], 3, files={"empty.csv": ""}),
        Case(
            "binary garbage",
            ["consensus", "import", str(d / "bin.csv")],
            3,
            files={"bin.csv": bytes(range(256)) * 4},
        ),
        Case(
            "UTF-16 file",
            ["data", "import", str(d / "u16.csv")],
            3,
            files={"u16.csv": (OBS + "exports_yoy,2026-09,7.5,2026-10-13,x\n").encode("utf-16")},
        ),
        Case(
            "a poll dated after the release",
            ["consensus", "import", str(d / "late.csv")],
            3,
            files={"late.csv": POLLS + "exports_yoy,2026-08,3.0,reuters,25,2026-09-20,\n"},
        ),
        Case(
            "a poll for a January from 2020",
            ["consensus", "import", str(d / "pj.csv")],
            3,
            files={"pj.csv": POLLS + "exports_yoy,2025-01,3.0,reuters,25,2025-02-01,\n"},
        ),
        Case(
            "poll source gallup",
            ["consensus", "import", str(d / "src.csv")],
            3,
            files={"src.csv": POLLS + "exports_yoy,2026-11,3.0,gallup,25,2026-11-20,\n"},
        ),
        Case(
            "markup in a refused cell",
            ["data", "import", str(d / "mk.csv")],
            3,
            files={"mk.csv": OBS + "exports_yoy,2026-09,[/x],2026-10-13,x\n"},
        ),
        Case(
            "markup in a valid file's name",
            ["data", "import", str(d / "a[/x].csv")],
            0,
            files={"a[/x].csv": OBS + "exports_yoy,2026-09,7.5,2026-10-13,[bold]x[/x]\n"},
            changes_store=True,
        ),
        Case("the same file again (idempotent)", ["data", "import", str(d / "a[/x].csv")], 0),
        Case(
            "a conflicting value for a stored vintage",
            ["data", "import", str(d / "cf.csv")],
            3,
            files={"cf.csv": OBS + "exports_yoy,2026-09,9.9,2026-10-13,x\n"},
        ),
        Case(
            "valid: CRLF line ends",
            ["data", "import", str(d / "crlf.csv")],
            0,
            files={
                "crlf.csv": (OBS + "tw_exports_yoy,2026-08,10.0,2026-09-10,x\n").replace(
                    "\n", "\r\n"
                )
            },
            changes_store=True,
        ),
        Case(
            "valid: UTF-8 BOM",
            ["data", "import", str(d / "bom.csv")],
            0,
            files={"bom.csv": "\ufeff" + OBS + "tw_exports_yoy,2026-07,9.0,2026-08-10,x\n"},
            changes_store=True,
        ),
        Case(
            "valid: a quoted source with commas",
            ["data", "import", str(d / "q.csv")],
            0,
            files={"q.csv": OBS + 'tw_exports_yoy,2026-06,5.0,2026-07-10,"a, b"\n'},
            changes_store=True,
        ),
        Case(
            "header only", ["data", "import", str(d / "header.csv")], 0, files={"header.csv": OBS}
        ),
        Case(
            "data add --exports-yoy 1e309",
            [
                "data",
                "add",
                "--period",
                "2026-10",
                "--released",
                "2026-11-07",
                "--exports-yoy",
                "1e309",
            ],
            3,
        ),
        Case(
            "consensus add --n 10**20",
            [
                "consensus",
                "add",
                "--target",
                "exports_yoy",
                "--period",
                "2026-11",
                "--value",
                "3",
                "--source",
                "reuters",
                "--n",
                "100000000000000000000",
            ],
            3,
        ),
        Case(
            "forecast --as-of 1900-01-01",
            ["forecast", "--target", "exports_yoy", "--as-of", "1900-01-01"],
            3,
        ),
        Case(
            "backtest --warmup -1",
            [
                "backtest",
                "--target",
                "exports_yoy",
                "--start",
                "2018-01",
                "--end",
                "2018-06",
                "--warmup",
                "-1",
            ],
            3,
        ),
        Case(
            "backtest --jobs 0",
            [
                "backtest",
                "--target",
                "exports_yoy",
                "--start",
                "2018-01",
                "--end",
                "2018-02",
                "--jobs",
                "0",
            ],
            3,
        ),
        Case(
            "compare end before start",
            ["compare", "--target", "exports_yoy", "--start", "2018-12", "--end", "2016-01"],
            3,
        ),
        Case("ui --port 99999", ["ui", "--port", "99999"], 2),
        Case(
            "schedule list on a garbage store",
            ["schedule", "list"],
            7,
            env={"FORECASTING_DATABASE_URL": f"sqlite:///{garbage}"},
        ),
        Case("markup stored: data show", ["data", "show", "--series", "exports_yoy"], 0),
        Case("data show --as-of 2026-02-30", ["data", "show", "--as-of", "2026-02-30"], 3),
        Case("data show --series nope", ["data", "show", "--series", "nope"], 3),
        Case("consensus list", ["consensus", "list"], 0),
        Case(
            "consensus add --value nan",
            [
                "consensus",
                "add",
                "--target",
                "exports_yoy",
                "--period",
                "2026-11",
                "--value",
                "nan",
                "--source",
                "reuters",
            ],
            3,
        ),
        Case(
            "consensus add --n -3",
            [
                "consensus",
                "add",
                "--target",
                "exports_yoy",
                "--period",
                "2026-11",
                "--value",
                "3",
                "--source",
                "reuters",
                "--n",
                "-3",
            ],
            3,
        ),
        Case("forecast --target nope", ["forecast", "--target", "nope"], 3),
        Case(
            "forecast --period 2026-13",
            ["forecast", "--target", "exports_yoy", "--period", "2026-13"],
            3,
        ),
        Case(
            "forecast a released period",
            ["forecast", "--target", "exports_yoy", "--period", "2025-12", "--as-of", "2026-03-01"],
            3,
        ),
        Case(
            "forecast --models nope", ["forecast", "--target", "exports_yoy", "--models", "nope"], 4
        ),
        Case("ledger --period x", ["ledger", "--period", "x"], 3),
        Case("score --period 2030-01", ["score", "--period", "2030-01"], 3),
        Case(
            "backtest end before start",
            ["backtest", "--target", "exports_yoy", "--start", "2018-06", "--end", "2018-01"],
            3,
        ),
        Case("calendar --year 1200", ["calendar", "--year", "1200"], 3),
        Case(
            "registry predict, nothing registered",
            ["registry", "predict", "--target", "exports_yoy", "--period", "2026-11"],
            5,
        ),
        Case("schedule run-now nonsense", ["schedule", "run-now", "forecast-everything"], 6),
        Case(
            "schedule run-now pre-release:2024-01",
            ["schedule", "run-now", "pre-release:2024-01"],
            6,
        ),
        Case(
            "garbage store file",
            ["data", "show"],
            7,
            env={"FORECASTING_DATABASE_URL": f"sqlite:///{garbage}"},
        ),
        Case(
            "truncated store file",
            ["data", "show"],
            7,
            env={"FORECASTING_DATABASE_URL": f"sqlite:///{truncated}"},
        ),
        Case(
            "store URL is a folder",
            ["data", "show"],
            7,
            env={"FORECASTING_DATABASE_URL": f"sqlite:///{d}"},
        ),
        Case(
            "store folder cannot be created",
            ["data", "show"],
            7,
            env={"FORECASTING_DATABASE_URL": "sqlite:////proc/forecasting/x.db"},
        ),
        Case(
            "bad URL scheme",
            ["data", "show"],
            2,
            env={"FORECASTING_DATABASE_URL": f"mysql://u:{PASSWORD}@h/db"},
        ),
        Case("not a URL", ["data", "show"], 2, env={"FORECASTING_DATABASE_URL": "::::"}),
        Case(
            "unreachable PostgreSQL",
            ["data", "show"],
            7,
            env={"FORECASTING_DATABASE_URL": f"postgresql://u:{PASSWORD}@127.0.0.1:1/db"},
        ),
        Case(
            "missing config file",
            ["data", "show"],
            2,
            env={"FORECASTING_CONFIG": str(root / "nope.toml")},
        ),
        Case(
            "config with an unknown key",
            ["data", "show"],
            2,
            env={"FORECASTING_CONFIG": str(root / "configs" / "bad.toml")},
        ),
        Case(
            "config: [section] name in the error",
            ["data", "show"],
            2,
            env={"FORECASTING_CONFIG": str(root / "configs" / "badtime.toml")},
        ),
        Case(
            "forecast, MLflow unreachable (password in URL)",
            ["forecast", "--target", "exports_yoy"],
            5,
            env={"MLFLOW_TRACKING_URI": f"http://u:{PASSWORD}@127.0.0.1:9"},
            changes_store=True,
        ),
        Case(
            "ui, remote tracking URI with a password",
            ["ui"],
            0,
            env={"MLFLOW_TRACKING_URI": f"http://u:{PASSWORD}@127.0.0.1:9"},
        ),
        Case(
            "a bad file in data.directories",
            ["data", "show", "--series", "kr_exports_yoy"],
            0,
            env={"FORECASTING_CONFIG": str(root / "configs" / "datadir.toml")},
        ),
        Case(
            "tracking catch-up after the outage",
            ["schedule", "run-now", "tracking-catch-up"],
            0,
            changes_store=True,
        ),
    ]


def project(root: Path) -> dict[str, str]:
    shutil.copytree(REPO / "configs", root / "configs")
    cfg = root / "configs" / "forecasting.toml"
    text = cfg.read_text(encoding="utf-8")
    lines = [
        'default = ["naive", "seasonal_ratio", "ensemble"]' if ln.startswith("default = [") else ln
        for ln in text.splitlines()
    ]
    text = "\n".join(lines).replace("recent_window = 36", "recent_window = 6") + "\n"
    cfg.write_text(text, encoding="utf-8")
    (root / "configs" / "bad.toml").write_text(text + "\n[extra]\nnope = 1\n", encoding="utf-8")
    bad_time = text.replace('pre_release_time = "09:00"', 'pre_release_time = "9am"')
    (root / "configs" / "badtime.toml").write_text(bad_time, encoding="utf-8")
    folder = root / "datadir"
    folder.mkdir()
    (folder / "kr_exports_yoy.csv").write_text(ONE + "2026-09,[/x],% y/y,x\n", encoding="utf-8")
    (root / "configs" / "datadir.toml").write_text(
        text.replace("directories = []", f'directories = ["{folder}"]'), encoding="utf-8"
    )
    (root / "in").mkdir()
    (root / "in" / "dangling.csv").symlink_to(root / "in" / "nowhere.csv")
    (root / "garbage.db").write_bytes(b"this is not a database\n" * 200)
    env = {**os.environ, "FORECASTING_CONFIG": str(cfg), "COLUMNS": "200"}
    env.pop("FORECASTING_DATABASE_URL", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    subprocess.run([EXE, "data", "show"], env=env, cwd=root, capture_output=True, check=True)
    db = root / ".state" / "forecasting.db"
    store_digest(db)
    (root / "truncated.db").write_bytes(db.read_bytes()[:9000])
    return env


def run_case(case: Case, root: Path, env: dict[str, str], db: Path) -> Outcome:
    for name, content in case.files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (root / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "in" / name).write_bytes(data)
    before = store_digest(db)
    proc = subprocess.Popen(
        [EXE, *case.args],
        env={**env, **case.env},
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, errs = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # SIGTERM first: `ui` stops the servers it started
        proc.terminate()
        out, errs = proc.communicate(timeout=30)
        errs = "timed out after 120 s\n" + errs
    proc = subprocess.CompletedProcess(proc.args, proc.returncode, out, errs)
    err = proc.stderr.strip().splitlines()
    first = err[0] if err else (proc.stdout.strip().splitlines() or [""])[0]
    problems = []
    if proc.returncode != case.expect:
        problems.append(f"exit {proc.returncode}, expected {case.expect}")
    if "Traceback" in proc.stderr + proc.stdout:
        problems.append("traceback")
    if PASSWORD in proc.stderr + proc.stdout:
        problems.append("password printed")
    if not case.changes_store and store_digest(db) != before:
        problems.append("store changed")
    errors = [ln for ln in err if ln.startswith("error:")]
    if proc.returncode not in (0, 2, 5) and (len(errors) != 1 or err[0] != errors[0]):
        problems.append("the error is not the first line of stderr")
    if proc.returncode == 5 and not any(ln.startswith("error:") or "MLflow at" in ln for ln in err):
        problems.append("no message on MLflow")
    return Outcome(case, proc.returncode, first, problems)


def schedule_case(root: Path, env: dict[str, str]) -> Outcome:
    """A second scheduler on the same database spelled through '..'."""
    case = Case("second scheduler, URL spelled with '..'", ["schedule", "start"], 6)
    first = subprocess.Popen(
        [EXE, "schedule", "start"],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while "scheduler started" not in (first.stdout.readline() or "scheduler started"):
            pass
        other = f"sqlite:///{root}/.state/../.state/forecasting.db"
        return run_case(
            Case(case.name, case.args, 6, env={"FORECASTING_DATABASE_URL": other}),
            root,
            env,
            root / ".state" / "forecasting.db",
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the project folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fault-probe-"))
    t0 = time.perf_counter()
    env = project(root)
    db = root / ".state" / "forecasting.db"
    outcomes = [run_case(c, root, env, db) for c in cases(root)]
    outcomes.append(schedule_case(root, env))
    events = (root / ".state" / "scheduler.log").read_text(encoding="utf-8")
    bad = [o for o in outcomes if o.problems]
    print("| case | exit | first line of stderr |\n|---|---|---|")
    for o in outcomes:
        mark = " **" + "; ".join(o.problems) + "**" if o.problems else ""
        print(f"| {o.case.name} | {o.code} | {o.first[:150].replace('|', '/')}{mark} |")
    if PASSWORD in events:
        print("the scheduler event log holds the password")
        bad.append(outcomes[-1])
    print(
        f"\n{len(outcomes)} cases, {len(bad)} broke their expectation, "
        f"{time.perf_counter() - t0:.0f} s; project {root}"
    )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
