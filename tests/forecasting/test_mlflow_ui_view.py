"""The default view put into the MLflow UI's entry page, checked against the installed bundle."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from forecasting.mlflow_ui_view import (
    DEFAULT_VIEW_SCRIPT,
    MODEL_TRAINING,
    WORKFLOW_STORAGE_KEY,
    runs_page_url,
    with_model_training_default,
)


def _ui_build() -> Path:
    """The installed MLflow UI bundle (found without importing mlflow)."""
    spec = importlib.util.find_spec("mlflow")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "server" / "js" / "build"


def test_the_script_leads_the_installed_entry_page_before_the_apps_scripts() -> None:
    page = (_ui_build() / "index.html").read_bytes()
    served = with_model_training_default(page)
    script = DEFAULT_VIEW_SCRIPT.encode()
    assert served.replace(script, b"", 1) == page  # only the script was added, once
    at = served.index(script)
    assert served.index(b"<head>") < at < served.index(b"<script defer")


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (b'<html><HEAD lang="x"><title>t</title></HEAD>', b'<html><HEAD lang="x">{s}<title>t'),
        (b"<p>no head</p><script src=a.js></script>", b"<p>no head</p>{s}<script src=a.js>"),
        (b"<p>bare</p>", b"{s}<p>bare</p>"),
    ],
)
def test_the_script_goes_first_wherever_the_page_allows(page: bytes, expected: bytes) -> None:
    served = with_model_training_default(page)
    assert served.startswith(expected.replace(b"{s}", DEFAULT_VIEW_SCRIPT.encode()))
    assert served.replace(DEFAULT_VIEW_SCRIPT.encode(), b"") == page


def test_the_stored_value_is_the_one_the_installed_ui_reads() -> None:
    """The key, the enum value and the JSON encoding, read from the installed bundle: the
    hook ``useLocalStorage({key, version, initialValue})`` stores under `${key}_v${version}`
    with JSON.stringify and reads with JSON.parse (the default on a value it cannot parse)."""
    (main,) = (_ui_build() / "static" / "js").glob("main.*.js")
    bundle = main.read_text(encoding="utf-8")
    hook = re.search(r'key:"mlflow\.workflowType",version:(\d+),initialValue:\w+', bundle)
    assert hook is not None
    assert f"mlflow.workflowType_v{hook.group(1)}" == WORKFLOW_STORAGE_KEY
    assert f'MACHINE_LEARNING="{MODEL_TRAINING}"' in bundle
    assert re.search(r"=\((\w),(\w)\)=>`\$\{\1\}_v\$\{\2\}`", bundle)  # the key's form
    assert re.search(r"(\w)=JSON\.stringify\(\w\);try\{localStorage\.setItem\(\w,\1\)", bundle)
    assert re.search(r"localStorage\.getItem\(\w\);return (\w)\?JSON\.parse\(\1\):\w", bundle)
    assert f'JSON.stringify("{MODEL_TRAINING}")' in DEFAULT_VIEW_SCRIPT


def test_runs_page_url_opens_the_runs_tab_in_the_model_training_view() -> None:
    assert runs_page_url("http://127.0.0.1:5000/", "7") == (
        "http://127.0.0.1:5000/#/experiments/7/runs?workflowType=machine_learning"
    )
