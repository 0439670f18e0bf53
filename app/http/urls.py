"""URLs taken from clients: absolute http or https URLs with a host, nothing else.

A `javascript:`, `data:` or `file:` URL stored today is a script or a local file in some
console or app that renders it as a link tomorrow; the scheme is checked on the way in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
MAX_URL_LENGTH = 2000


def is_web_url(value: str) -> bool:
    """Whether VALUE is an absolute http(s) URL with a host and no whitespace or controls."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
