"""The console script's quick exit: the command's exit code and output, the exit handlers
run, and a running non-daemon thread waited for as Python's own exit would."""

from __future__ import annotations

import subprocess
import sys

from forecasting import __version__


def _entry(argv: list[str], before: str = "") -> subprocess.CompletedProcess[str]:
    code = "\n".join(
        [
            "import atexit, sys",
            f"sys.argv = {['forecasting', *argv]!r}",
            "atexit.register(lambda: print('exit handler ran', flush=True))",
            before,
            "from forecasting.cli import entry",
            "entry()",
            "print('not reached')",
        ]
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_the_code_and_output_of_a_command_and_the_exit_handlers() -> None:
    done = _entry(["--version"])
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout and "exit handler ran" in done.stdout
    assert "not reached" not in done.stdout


def test_a_usage_error_keeps_its_exit_code() -> None:
    done = _entry(["backtest", "--no-such-option"])
    assert done.returncode == 2
    assert "No such option" in done.stderr and "exit handler ran" in done.stdout


def test_an_expected_failure_keeps_its_exit_code() -> None:
    from forecasting.errors import ConfigError

    done = _entry(["backtest", "--target", "exports_yoy", "--start", "2025-01",
                   "--end", "2025-02", "--plots", "bogus"])  # fmt: skip
    assert done.returncode == ConfigError.exit_code
    assert "--plots: 'bogus'" in done.stderr and "Traceback" not in done.stderr


def test_a_running_non_daemon_thread_is_waited_for() -> None:
    thread = (
        "import threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.5), print('thread done', flush=True)))"
        ".start()"
    )
    done = _entry(["--version"], before=thread)
    assert done.returncode == 0, done.stderr
    assert "thread done" in done.stdout and "exit handler ran" in done.stdout
