"""Credentials out of every message: URLs shown with their password masked.

Pure functions; used wherever a URL (a database or tracking URI) may reach a message, a log
line or a tag.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_secrets", "mask_url"]

MASK = "***"

# scheme://user:password@host  ->  scheme://user:***@host  (the password is any run of
# characters up to the last '@' before the host part, so '@' and ':' inside it are covered)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):[^/\s]*@")
# key=value pairs that carry a secret in a query string (e.g. ?password=...)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|secret|token|api_key|apikey|access_key)=)[^&\s]*",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` it contains, and
    any ``password=``/``token=``-style query value, replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _QUERY_SECRET.sub(lambda m: f"{m['key']}{MASK}", text)


def mask_url(url: str) -> str:
    """A URL safe to print: its password (if any) replaced by ``***``."""
    return mask_secrets(url)
