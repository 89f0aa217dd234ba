"""In-process CLI calls: ``cli("data", "show")`` runs the ``forecasting`` entry point (its
error boundary included) in this process and returns the exit code and captured output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    from forecasting.cli import run

    def invoke(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["forecasting", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            run()
        out = capsys.readouterr()
        code = done.value.code
        return Result(0 if code is None else int(code), out.out, out.err)

    return invoke
