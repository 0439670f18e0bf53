"""Domain errors and the one error envelope every failure is answered with (API.md)."""

from __future__ import annotations

import http
import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ServerSelectionTimeoutError
from werkzeug.exceptions import HTTPException

from app import i18n

log = logging.getLogger("onevisit.errors")

# webargs reports errors keyed by where they were found; API.md keys them by field.
_LOCATIONS = {"json", "query", "querystring", "form", "files", "headers", "path", "view_args"}


class DomainError(Exception):
    """Raised by services and repositories; blueprints never build error responses themselves."""

    status = 400

    def __init__(
        self,
        message: str | None = None,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or http.HTTPStatus(self.status).phrase)
        self.message = message or http.HTTPStatus(self.status).phrase
        self.errors = errors
        self.headers = headers or {}


class BadRequest(DomainError):
    status = 400


class Unauthorized(DomainError):
    status = 401

    def __init__(self, message: str = "Authentication required", **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="onevisit"'})
        super().__init__(message, **kw)


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    status = 412


class PayloadTooLarge(DomainError):
    status = 413


class UnsupportedMediaType(DomainError):
    status = 415


class ValidationFailed(DomainError):
    status = 422


class TooManyRequests(DomainError):
    status = 429


class ServiceUnavailable(DomainError):
    status = 503


def flatten_locations(errors: Any) -> Any:
    """{"json": {"phone": [...]}} -> {"phone": [...]}: clients see fields, not parser internals."""
    if isinstance(errors, dict) and errors and set(errors) <= _LOCATIONS:
        merged: dict[str, Any] = {}
        for part in errors.values():
            if isinstance(part, dict):
                merged.update(part)
            elif isinstance(part, list):  # e.g. {"json": ["Invalid JSON body."]}
                merged.setdefault("_body", []).extend(part)
        return merged
    return errors


def envelope(
    code: int,
    message: str | None = None,
    errors: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    status = http.HTTPStatus(code)
    payload: dict[str, Any] = {
        "code": code,
        "status": status.phrase,
        # Written in English where raised; answered in the negotiated language (app/i18n.py).
        "message": i18n.message(message or status.description or status.phrase),
    }
    if errors:
        payload["errors"] = i18n.messages(errors)
    payload["request_id"] = g.get("request_id")
    response = jsonify(payload)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message") or error.description
    if error.code == 422 and errors:
        message = "The request is not valid; see errors."
    elif error.code == 400 and errors:
        message = "The request body could not be read; see errors."
    headers = dict(data.get("headers") or {})
    valid_methods = getattr(error, "valid_methods", None)
    if error.code == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return envelope(error.code or 500, message, flatten_locations(errors), headers)


def handle_domain_error(error: DomainError) -> Response:
    return envelope(error.status, error.message, error.errors, error.headers)


def handle_duplicate_key(error: DuplicateKeyError) -> Response:
    # A unique index decided: the record exists already (check-then-write would race).
    log.info("unique index rejected a write", extra={"detail": str(error.details)[:300]})
    return envelope(409, "A record with these values exists already.")


def handle_database_down(error: Exception) -> Response:
    log.error("database unavailable: %s", error.__class__.__name__)
    return envelope(
        503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"}
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error")
    return envelope(500, "An unexpected error occurred. Quote the request id when reporting it.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DuplicateKeyError, handle_duplicate_key)
    app.register_error_handler(ServerSelectionTimeoutError, handle_database_down)
    app.register_error_handler(ConnectionFailure, handle_database_down)
    app.register_error_handler(Exception, handle_unexpected)
