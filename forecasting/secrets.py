"""Credentials never reach a message, a log line or an MLflow tag: :func:`mask_secrets`."""

from __future__ import annotations

import re

__all__ = ["mask_secrets", "masked_url"]

# scheme://user:password@host  ->  scheme://user:***@host (any scheme, incl. postgresql+psycopg2)
_USERINFO = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@"
)
# ...?password=x or &token=x in query strings
_QUERY = re.compile(r"(?i)(?P<key>[?&](?:password|passwd|pwd|token|secret|api_key|apikey)=)[^&\s]+")


def mask_secrets(text: str) -> str:
    """``text`` with every URL password (``user:password@``) and password-like query value
    replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _QUERY.sub(lambda m: f"{m['key']}***", text)


def masked_url(url: str) -> str:
    """A URL safe to print and log (:func:`mask_secrets` of it)."""
    return mask_secrets(url)
