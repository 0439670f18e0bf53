"""Cheap checks on a request body before anything parses it: JSON nesting depth.

Python's json parser recurses once per level: a body of a few thousand `[` raises
RecursionError (a 500 with a traceback) wherever it is parsed, in webargs, in a view, or in
the idempotency fingerprint. This runs first (before_request, after the media-type check) and
measures depth on the raw bytes, in C-speed passes, without building any object.
"""

from __future__ import annotations

import re
from itertools import accumulate

from flask import current_app, request

from app.http.errors import BadRequest

# A JSON string literal (escapes included): brackets inside strings do not nest. Possessive,
# and an unterminated literal runs to the end: the pattern can never fail after its opening
# quote, so it never backtracks and the pass stays linear whatever the bytes.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in RAW (0 for a scalar); malformed input
    gets a best-effort figure, the parser reports it properly afterwards."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if not brackets:
        return 0
    return max(accumulate(map(_STEP.__getitem__, brackets)))


def check_json_depth() -> None:
    """before_request: 400 in the envelope when a JSON body nests deeper than allowed."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return
    limit = current_app.extensions["settings"].max_json_depth
    raw = request.get_data(cache=True)  # bounded by MAX_CONTENT_LENGTH (413 beyond)
    # Cheap pre-filter: fewer opening brackets than the limit cannot nest past it.
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    depth = json_depth(raw)
    if depth > limit:
        raise BadRequest(
            f"The JSON body nests {depth} levels deep; at most {limit} are accepted.",
            errors={"_body": [f"Nested deeper than {limit} levels."]},
        )
