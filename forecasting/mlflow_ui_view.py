"""Which view the MLflow UI opens an experiment on, and the default this project gives it.

The evidence is in the UI bundle, ``mlflow/server/js/build/static/js``:

- Up to 3.9 (seen in 3.5.0 and 3.9.0; 3.1.0 has no kinds yet) the experiment tag
  ``mlflow.experimentKind`` decides: ``genai_development`` opens the GenAI pages, any other
  value (``forecasting`` is one the UI names) the runs table.
- From 3.10 (3.17.2 installed) the tag no longer decides. In ``main.<hash>.js`` module 7975
  holds the sidebar's switch: ``GENAI="genai"``, ``MACHINE_LEARNING="machine_learning"``, the
  default ``GENAI``, and the choice read from the URL parameter ``workflowType`` or else from
  local storage through module 51653 (key ``` `${key}_v${version}` ``` =
  ``mlflow.workflowType_v1``; written with ``JSON.stringify``, read with ``JSON.parse``, the
  default on a missing or unreadable value). Module 31080 derives the experiment's kind from
  that choice (feature flag 89511 ``Z0``, hard-wired on), and the experiment page's redirect
  (``experimentPage.<hash>.chunk.js``) opens the runs tab unless the kind is GenAI. So a fresh
  browser opens every experiment on the GenAI overview (traces, token usage), and no server
  flag, environment variable or server-info field changes that default.

Hence :func:`with_model_training_default`: the UI's entry page gets an inline script, run
before the app's own scripts, that stores the model-training choice where the key holds no
valid choice. A choice the user makes in the sidebar is stored by the app itself and kept.
"""

from __future__ import annotations

import json
import re

__all__ = [
    "DEFAULT_VIEW_SCRIPT",
    "MODEL_TRAINING",
    "UI_ENTRY_PATHS",
    "WORKFLOW_CHOICES",
    "WORKFLOW_STORAGE_KEY",
    "runs_page_url",
    "with_model_training_default",
]

WORKFLOW_STORAGE_KEY = "mlflow.workflowType_v1"
MODEL_TRAINING = "machine_learning"
WORKFLOW_CHOICES = ("genai", MODEL_TRAINING)
UI_ENTRY_PATHS = frozenset({"/", "/static-files/index.html"})
"""The paths the MLflow server answers with the UI's HTML entry page (its index)."""

_HEAD_TAG = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_FIRST_SCRIPT = re.compile(rb"<script\b", re.IGNORECASE)


_CHOICES_JS = json.dumps(list(WORKFLOW_CHOICES), separators=(",", ":"))
DEFAULT_VIEW_SCRIPT = (
    "<script>(function(){try{"
    f"var k={json.dumps(WORKFLOW_STORAGE_KEY)},s=window.localStorage,v=null;"
    "try{v=JSON.parse(s.getItem(k))}catch(e){}"
    f"if({_CHOICES_JS}.indexOf(v)<0)"
    f"s.setItem(k,JSON.stringify({json.dumps(MODEL_TRAINING)}))"
    "}catch(e){}})();</script>"
)
"""Stores the model-training choice as the UI's workflow type, in the app's own format (a
JSON-encoded string), unless local storage already holds a valid choice; where storage cannot
be used (disabled, full) the app keeps its own default."""


def with_model_training_default(page: bytes) -> bytes:
    """The UI's HTML entry ``page`` with :data:`DEFAULT_VIEW_SCRIPT` as the first element of
    its ``<head>`` (before the first ``<script>`` if it has no head tag, else at its start)."""
    script = DEFAULT_VIEW_SCRIPT.encode()
    head = _HEAD_TAG.search(page)
    if head is not None:
        at = head.end()
    else:
        first_script = _FIRST_SCRIPT.search(page)
        at = first_script.start() if first_script is not None else 0
    return page[:at] + script + page[at:]


def runs_page_url(base_url: str, experiment_id: str) -> str:
    """The page of an experiment's runs table, in the UI's model-training view (whatever the
    browser has stored)."""
    return (
        f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?workflowType=machine_learning"
    )
