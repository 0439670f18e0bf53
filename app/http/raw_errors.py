"""The API's error envelope for the layers that answer before Flask does (`make run`'s front,
gunicorn's worker): the same JSON body, with a request id of its own in the body and in
`X-Request-ID`. Standard library only, so either layer imports it without the application."""

from __future__ import annotations

import http
import json
import uuid

# A few statuses http.HTTPStatus names differently from RFC 9110 (or not at all in 3.11).
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def phrase(status: int) -> str:
    if status in _PHRASES:
        return _PHRASES[status]
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str) -> tuple[bytes, list[tuple[str, str]]]:
    """(body, headers) of an error answer; the caller frames it (Content-Length included)."""
    request_id = uuid.uuid4().hex
    body = json.dumps(
        {"code": status, "status": phrase(status), "message": message, "request_id": request_id}
    ).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("X-Request-ID", request_id),
        ("Connection", "close"),
    ]
    if status == 503:
        headers.append(("Retry-After", "5"))
    return body, headers


def http11_error(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 error response, for a layer that writes to the socket itself."""
    body, headers = error_body(status, message)
    head = f"HTTP/1.1 {status} {phrase(status)}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers
    )
    return head.encode("latin-1") + b"\r\n" + body
