"""One idempotency mechanism for every creating POST (API.md 'Conventions').

The first request with a key claims it by inserting a record (unique _id = scope + key);
a concurrent twin finds the claim and gets 409; a finished request stores its response,
which any retry with the same body replays; a different body under the same key gets 422.
A request that fails releases its claim, so the client's retry runs again.

One window is left by this alone: a process (or the database) dying after the view's own
write committed but before the response was stored. The claim then goes stale, a retry takes
it over and runs the view again. A creating service closes that window by stamping its
document with `current_key()` under a unique sparse index: the second run's insert hits the
index, and the service answers with the document the first run created (`make fault`
proves it by killing the database under load).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from pymongo.errors import DuplicateKeyError

from app.http import idempotency_repository as repo
from app.http.errors import Conflict, ValidationFailed

log = logging.getLogger("onevisit.idempotency")
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")


def request_fingerprint() -> str:
    """What makes two requests 'the same': method, path and the body's content."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json:
        body = request.get_json(silent=True)
        digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    elif request.mimetype == "multipart/form-data":
        # Boundaries differ between retries; the fields and file contents do not.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"f:{name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            file_digest = hashlib.sha256()
            stream = upload.stream
            while chunk := stream.read(65536):
                file_digest.update(chunk)
            stream.seek(0)
            digest.update(f"u:{name}:{upload.filename}:{file_digest.hexdigest()}\n".encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _scope() -> str:
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"anon:{request.remote_addr}"


def _replay(record: dict[str, Any]) -> Response:
    stored = record["response"]
    response = current_app.response_class(
        stored["body"], status=stored["status"], mimetype="application/json"
    )
    for name, value in stored.get("headers", {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def current_key() -> str | None:
    """The claimed Idempotency-Key of this request (scoped to its caller), or None."""
    return g.get("idempotency_key")


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return func(*args, **kwargs)
        if not _KEY.match(key):
            raise ValidationFailed(
                "Idempotency-Key must be 1-128 letters, digits or ._:-",
                errors={"Idempotency-Key": ["Invalid format."]},
            )
        settings = current_app.extensions["settings"]
        record_id = f"{_scope()}|{key}"
        fingerprint = request_fingerprint()
        try:
            repo.claim(record_id, fingerprint, settings.idempotency_ttl)
        except DuplicateKeyError:
            record = repo.get(record_id)
            if record is None:  # expired between our insert and read: claim again
                repo.claim(record_id, fingerprint, settings.idempotency_ttl)
            else:
                if record["fingerprint"] != fingerprint:
                    raise ValidationFailed(
                        "This Idempotency-Key was used with a different request body.",
                        errors={"Idempotency-Key": ["Reused with a different body."]},
                    ) from None
                if record.get("response") is not None:
                    return _replay(record)
                if not repo.take_over_stale(record_id, settings.idempotency_lock_seconds):
                    raise Conflict(
                        "A request with this Idempotency-Key is still being processed.",
                        headers={"Retry-After": "1"},
                    ) from None
        g.idempotency_key = record_id
        try:
            response = current_app.make_response(func(*args, **kwargs))
        except BaseException:
            repo.release(record_id)
            raise
        finally:
            g.pop("idempotency_key", None)
        if 200 <= response.status_code < 300:
            headers = {h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers}
            repo.complete(record_id, response.status_code, response.get_data(as_text=True), headers)
        else:
            repo.release(record_id)
        return response

    return wrapper
