"""Schemathesis checks of our own, shared by `make fuzz` (loaded as a hooks module through
SCHEMATHESIS_HOOKS) and by tests/test_api_fuzz.py."""

from __future__ import annotations

from typing import Any

import schemathesis

# flask-smorest documents a `default` error response on every operation, which makes
# schemathesis' status_code_conformance accept any status at all. This check gives it teeth:
# `default` may only stand for the transport-level answers any operation can give (a body
# that is not JSON: 400; too large: 413; wrong media type: 415; database down: 503); every
# other status an operation answers must be listed explicitly in its responses. The HTTP
# server's own limits (414 request line, 431 header fields) are transport-level as well.
GENERIC_STATUSES = {400, 413, 414, 415, 431, 503}


@schemathesis.check
def documented_status_code(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every status but the transport-level ones is listed in the operation's responses."""
    status = response.status_code
    if case.method.upper() != case.operation.method.upper():
        return None  # a method the path does not have (unsupported_method): 405 is right
    if status in GENERIC_STATUSES or status >= 500:  # 5xx: not_a_server_error reports those
        return None
    declared = case.operation.definition.raw.get("responses", {})
    if str(status) in declared or f"{str(status)[0]}XX" in declared:
        return None
    raise AssertionError(
        f"{case.operation.label} answered {status}, which its OpenAPI responses do not list "
        f"(listed: {sorted(declared)}); body: {response.text[:300]}"
    )
