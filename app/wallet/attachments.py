"""Attachments: files are typed by their bytes (PDF, JPEG, PNG), hashed, stored in GridFS,
and readable only by their owner and by staff of a case that cites them."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import filetype
from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession
from werkzeug.datastructures import FileStorage

from app import audit, clock, outbox
from app.accounts.auth import Principal
from app.http.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.wallet import attachments_repository as repo

log = logging.getLogger("onevisit.attachments")
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_UNSAFE = re.compile(r"[^\w.\- ()\u4e00-\u9fff]+")

# kind -> (user, case_id) -> bool: may this user read files this case cites?
CaseAccess = Callable[[Principal, ObjectId], bool]
_case_access: dict[str, CaseAccess] = {}


def register_case_access(kind: str, check: CaseAccess) -> None:
    """Case types (applications, complaints) say which staff may read the files they cite."""
    _case_access[kind] = check


def safe_filename(name: str | None, extension: str) -> str:
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._")[:120]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'file'}.{extension}"


def sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in ALLOWED_TYPES else None


def store(user: Principal, upload: FileStorage | None) -> dict[str, Any]:
    if upload is None or not isinstance(upload, FileStorage):
        raise ValidationFailed(
            "Send the file as the multipart field 'file'.",
            errors={"file": ["Missing data for required field."]},
        )
    limit = current_app.extensions["settings"].max_upload_bytes
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Files may be at most {limit} bytes.")
    if not data:
        raise ValidationFailed("The file is empty.", errors={"file": ["Empty file."]})
    content_type = sniff(data[:8192])
    if content_type is None:
        raise UnsupportedMediaType(
            "Only PDF, JPEG and PNG files are accepted (judged by their content, not their name).",
            errors={"file": ["Not a PDF, JPEG or PNG file."]},
        )
    filename = safe_filename(upload.filename, ALLOWED_TYPES[content_type])
    sha256 = hashlib.sha256(data).hexdigest()
    file_id = repo.upload_bytes(filename, io.BytesIO(data), content_type)
    doc = {
        "_id": ObjectId(),
        "owner_id": user.oid,
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "sha256": sha256,
        "file_id": file_id,
        "cited": False,
        "cited_by": [],
        "created_at": clock.now(),
    }
    audit_entry = audit.entry(
        "attachment.upload",
        "attachment",
        doc["_id"],
        after={"sha256": sha256, "size": len(data), "content_type": content_type},
    )
    try:
        stored = repo.insert(doc, [audit_entry])
    except Exception:
        repo.delete_bytes(file_id)  # nothing half-written: no bytes without metadata
        raise
    if stored["_id"] != doc["_id"]:
        repo.delete_bytes(file_id)  # a retry: the first run's upload is the one kept
    return stored


def require_owned(owner_id: ObjectId, ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    """The applicant's own attachments among IDS; ids of others are simply absent."""
    return repo.owned(owner_id, ids)


def citation(
    ids: Iterable[ObjectId], owner_id: ObjectId, kind: str, case_id: ObjectId
) -> list[dict[str, Any]]:
    """The outbox entry marking files as used by a case (they stop being orphans, and its
    staff may read them), for the citing command's write; none when no file is cited."""
    ids = list(ids)
    if not ids:
        return []
    return [outbox.entry("cite", attachment_ids=ids, owner_id=owner_id, kind=kind, case_id=case_id)]


@outbox.applier("cite")
def _apply_citations(pending: list[outbox.Pending], session: ClientSession) -> None:
    repo.cite_all(
        [
            (e["attachment_ids"], e["owner_id"], e["kind"], e["case_id"])
            for e in (item.entry for item in pending)
        ],
        session,
    )


def readable(user: Principal, attachment_id: str) -> dict[str, Any]:
    try:
        doc = repo.get(ObjectId(attachment_id))
    except Exception:
        doc = None
    if doc is None:
        raise NotFound()
    if doc["owner_id"] == user.oid:
        return doc
    if user.role == "staff":
        for citation in doc.get("cited_by", []):
            check = _case_access.get(citation["kind"])
            if check is not None and check(user, citation["id"]):
                return doc
    raise NotFound()


def open_stream(doc: dict[str, Any]):
    return repo.open_bytes(doc["file_id"])


def cleanup_orphans(batch: int = 500) -> int:
    """Delete uploads no case cited within the configured time; returns how many."""
    hours = current_app.extensions["settings"].rules.orphan_attachment_hours
    removed = 0
    for doc in repo.orphans(clock.now() - timedelta(hours=hours), batch):
        if repo.delete_if_orphan(doc["_id"]):
            repo.delete_bytes(doc["file_id"])
            removed += 1
    if removed:
        log.info("orphan attachments removed", extra={"count": removed})
    return removed
