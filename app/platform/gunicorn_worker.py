"""gunicorn's gthread worker, answering what gunicorn refuses itself in the API's envelope.

gunicorn parses the request head before the application sees it and answers its own limits
and parse errors (request line over `limit_request_line`: 414; too many or too large header
fields: 431; a malformed request: 400) with an HTML page. Clients of the API read JSON, so
this worker writes the same statuses as the error envelope (app/http/raw_errors.py).
Configured in app/platform/gunicorn_conf.py (`worker_class`).
"""

from __future__ import annotations

from ssl import SSLError
from typing import Any

from gunicorn import util
from gunicorn.http.errors import (
    ExpectationFailed,
    ForbiddenProxyRequest,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    LimitRequestHeaders,
    LimitRequestLine,
    ParseException,
    UnsupportedTransferCoding,
)
from gunicorn.workers.gthread import ThreadWorker

from app.http.raw_errors import http11_error

# (status, message) by what gunicorn raised; any other parse error is a 400.
_REFUSALS: list[tuple[type[BaseException], int, str]] = [
    (LimitRequestLine, 414, "The request line (method and URL) is too long."),
    (LimitRequestHeaders, 431, "The request has too many header fields, or one too large."),
    (UnsupportedTransferCoding, 501, "That transfer coding is not supported."),
    (ExpectationFailed, 417, "That expectation cannot be met."),
    (ForbiddenProxyRequest, 403, "Forwarded headers from an untrusted address."),
    (SSLError, 403, "TLS failed."),
]


def refusal(exc: BaseException) -> tuple[int, str]:
    """The status and message gunicorn's refusal of a request answers with."""
    if isinstance(exc, InvalidResponseHeader | InvalidResponseHeaderName):
        return 500, "The server failed to answer."  # the application's fault, not the client's
    for kind, status, message in _REFUSALS:
        if isinstance(exc, kind):
            return status, message
    if isinstance(exc, ParseException):
        return 400, "Malformed request."
    return 500, "The server failed to answer."


class EnvelopeWorker(ThreadWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, message = refusal(exc)
        if status == 500:
            self.log.exception("Error handling request %s", getattr(req, "uri", "(no URI read)"))
        else:
            ip = (addr or ("",))[0]
            self.log.warning("Invalid request from ip=%s: %s (%s)", ip, exc, status)
        try:
            util.write_nonblock(client, http11_error(status, message))
        except Exception:  # the client is gone: nothing to tell it
            self.log.debug("Failed to send error message.")
