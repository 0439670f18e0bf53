"""Uploaded files: metadata in `attachments`, bytes in the GridFS bucket `attachment_files`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from bson import ObjectId
from gridfs import GridFSBucket
from gridfs.errors import NoFile
from pymongo import UpdateMany
from pymongo.client_session import ClientSession

from app import outbox, store
from app.db import EPOCH, collection, get_db

BUCKET = "attachment_files"


def _bucket() -> GridFSBucket:
    return GridFSBucket(get_db(), bucket_name=BUCKET)


def upload_bytes(filename: str, stream: IO[bytes], content_type: str) -> ObjectId:
    return _bucket().upload_from_stream(filename, stream, metadata={"contentType": content_type})


def delete_bytes(file_id: ObjectId) -> None:
    try:
        _bucket().delete(file_id)
    except NoFile:
        pass


def open_bytes(file_id: ObjectId):
    return _bucket().open_download_stream(file_id)


outbox.carried_by("attachments")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(collection("attachments"), doc, entries)


def get(attachment_id: ObjectId) -> dict[str, Any] | None:
    return collection("attachments").find_one({"_id": attachment_id})


def owned(owner_id: ObjectId, ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    return {
        doc["_id"]: doc
        for doc in collection("attachments").find({"_id": {"$in": list(ids)}, "owner_id": owner_id})
    }


def cite_all(
    citations: list[tuple[list[ObjectId], ObjectId, str, ObjectId]], session: ClientSession
) -> None:
    """Each (ids, owner, case kind, case id) of a relay batch, in one bulk write."""
    collection("attachments").bulk_write(
        [
            UpdateMany(
                {"_id": {"$in": list(ids)}, "owner_id": owner_id},
                {"$addToSet": {"cited_by": {"kind": kind, "id": case_id}}, "$set": {"cited": True}},
            )
            for ids, owner_id, kind, case_id in citations
        ],
        ordered=False,
        session=session,
    )


def cite(
    ids: Iterable[ObjectId],
    owner_id: ObjectId,
    kind: str,
    case_id: ObjectId,
    session: ClientSession | None = None,
) -> None:
    collection("attachments").update_many(
        {"_id": {"$in": list(ids)}, "owner_id": owner_id},
        {"$addToSet": {"cited_by": {"kind": kind, "id": case_id}}, "$set": {"cited": True}},
        session=session,
    )


def orphans(created_before: datetime, limit: int) -> list[dict[str, Any]]:
    return list(
        collection("attachments")
        .find({"cited": False, "created_at": {"$gte": EPOCH, "$lt": created_before}})
        .limit(limit)
    )


def delete_if_orphan(attachment_id: ObjectId) -> bool:
    """Compare-and-set: a file cited meanwhile is kept."""
    result = collection("attachments").delete_one({"_id": attachment_id, "cited": False})
    return result.deleted_count == 1
