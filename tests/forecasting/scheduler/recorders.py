"""Small, fast stand-ins for ``forecasting.jobs`` (same names and signatures).

Each call appends ``NAME PERIOD`` to ``calls.txt`` in the project root (the folder holding the
``configs/`` of ``config_path``). ``post_release_job`` raises ``NotReleasedError`` while a file
``not-released`` exists there; ``pre_release_job`` raises when ``explode`` exists.
"""

from __future__ import annotations

from pathlib import Path

from forecasting.errors import NotReleasedError


def _root(config_path: str | None) -> Path:
    assert config_path is not None
    return Path(config_path).resolve().parent.parent


def _record(config_path: str | None, line: str) -> None:
    with open(_root(config_path) / "calls.txt", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def calls(root: Path) -> list[str]:
    path = root / "calls.txt"
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def pre_release_job(period: str, config_path: str | None = None, resume: str | None = None) -> None:
    if (_root(config_path) / "explode").exists():
        _record(config_path, f"pre_release_job {period} raised")
        raise RuntimeError(f"boom while forecasting {period}")
    _record(config_path, f"pre_release_job {period}")


def post_release_job(period: str, deadline: str, config_path: str | None = None) -> None:
    if (_root(config_path) / "not-released").exists():
        _record(config_path, f"post_release_job {period} not released")
        raise NotReleasedError(f"no actual for {period} in the store yet")
    _record(config_path, f"post_release_job {period}")


def record_missed(period: str, config_path: str | None = None) -> None:
    _record(config_path, f"record_missed {period}")


def catch_up_tracking(config_path: str | None = None) -> None:
    _record(config_path, "catch_up_tracking")


def data_inbox_job(config_path: str | None = None) -> None:
    _record(config_path, "data_inbox_job")
