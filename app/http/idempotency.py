"""One idempotency mechanism for every creating POST and every case transition (API.md
'Conventions').

The key travels into what the request writes: the one insert path (`app.store`) stamps the
created document with the caller-scoped key and the request's fingerprint, in the same single
write, under a unique index on every created collection; the case engine stamps the timeline
entry of the transition it fires, so a retried transition finds it there. So there is no separate
key record to write, lose or leave half-done:
- a retry with the same key and body meets the index and answers with the record its first
  run created (same status; `Idempotent-Replayed: true`), however the first run ended —
  even when it committed and then died before answering;
- the same key with a different body answers 422;
- two requests racing with one key: one creates, the other meets the index and answers with
  the record the first created.
A stamp lives as long as the record it created (at least the contract's 24 h).
A retry finds the record the first run created, as it is now: if it changed since (a case was
accepted in the meantime), the replay shows that, with its current ETag.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import current_app, g, request

from app.http.errors import ValidationFailed

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
FIELD_KEY = "idempotency_key"
FIELD_FINGERPRINT = "idempotency_fingerprint"


@dataclass(frozen=True)
class Stamp:
    key: str  # scoped to the caller: "user:<id>|<client key>"
    fingerprint: str

    def fields(self) -> dict[str, str]:
        return {FIELD_KEY: self.key, FIELD_FINGERPRINT: self.fingerprint}


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


def current() -> Stamp | None:
    """The stamp of this request (None without an Idempotency-Key)."""
    return g.get("idempotency")


def stamp_fields() -> dict[str, str]:
    """The fields the one insert path adds to the record this request creates."""
    stamp = current()
    return stamp.fields() if stamp else {}


def replay(existing: dict[str, Any]) -> dict[str, Any]:
    """EXISTING was created by an earlier request with this request's key: answer with it
    (422 when that request had another body)."""
    stamp = current()
    if stamp is None or existing.get(FIELD_KEY) != stamp.key:
        raise ValueError("not a record created under this request's key")
    if existing.get(FIELD_FINGERPRINT) != stamp.fingerprint:
        raise ValidationFailed(
            "This Idempotency-Key was used with a different request body.",
            errors={"Idempotency-Key": ["Reused with a different body."]},
        )
    g.idempotent_replay = True
    return existing


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
        g.idempotency = Stamp(f"{_scope()}|{key}", request_fingerprint())
        try:
            response = current_app.make_response(func(*args, **kwargs))
        finally:
            g.pop("idempotency", None)
        if g.pop("idempotent_replay", False):
            response.headers["Idempotent-Replayed"] = "true"
        return response

    return wrapper
