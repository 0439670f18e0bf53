"""The certificate wallet (`certificates`) and its read log (`certificate_access`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession

from app import outbox, store
from app.db import collection
from app.pagination import Page, paginate


def insert_unless_issued(docs: list[dict[str, Any]], session: ClientSession) -> None:
    """Insert each certificate unless it exists (an upsert by id: a replayed entry, or one
    whose case issued it already, is a no-op rather than an error aborting the batch)."""
    if docs:
        collection("certificates").bulk_write(
            [UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True) for doc in docs],
            ordered=True,
            session=session,
        )


def by_source(source_id: ObjectId) -> dict[str, Any] | None:
    """The certificate a case issued (index one_per_source: there is at most one)."""
    return collection("certificates").find_one({"source.id": source_id})


def get(certificate_id: ObjectId) -> dict[str, Any] | None:
    return collection("certificates").find_one({"_id": certificate_id})


def get_owned(holder_id: ObjectId, certificate_id: ObjectId) -> dict[str, Any] | None:
    return collection("certificates").find_one({"_id": certificate_id, "holder_id": holder_id})


def owned(holder_id: ObjectId, ids: Iterable[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    return {
        doc["_id"]: doc
        for doc in collection("certificates").find(
            {"_id": {"$in": list(ids)}, "holder_id": holder_id}
        )
    }


def page_of_holder(
    holder_id: ObjectId, cert_type: str | None, limit: int, cursor: str | None
) -> Page:
    query: dict[str, Any] = {"holder_id": holder_id}
    if cert_type:
        query["type"] = cert_type
    return paginate(collection("certificates"), query, limit=limit, cursor=cursor)


def has_type(holder_id: ObjectId, cert_type: str) -> bool:
    found = collection("certificates").find_one(
        {"holder_id": holder_id, "type": cert_type}, {"_id": 1}
    )
    return found is not None


def valid_by_type(holder_id: ObjectId, types: Iterable[str], now: Any) -> dict[str, dict[str, Any]]:
    """HOLDER's newest valid certificate of each of TYPES (unexpired, not revoked)."""
    found: dict[str, dict[str, Any]] = {}
    cursor = collection("certificates").find(
        {
            "holder_id": holder_id,
            "type": {"$in": list(types)},
            "status": "valid",
            "$or": [{"valid_until": None}, {"valid_until": {"$gt": now}}],
        },
        sort=[("issued_at", -1)],
    )
    for doc in cursor:
        found.setdefault(doc["type"], doc)
    return found


outbox.carried_by("certificate_access")


def log_access(entry: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    store.insert(collection("certificate_access"), entry, entries)


def access_page(certificate_id: ObjectId, limit: int, cursor: str | None) -> Page:
    return paginate(
        collection("certificate_access"),
        {"certificate_id": certificate_id},
        limit=limit,
        cursor=cursor,
    )


def anonymise_holder(holder_id: ObjectId, label: str, at: Any, session: ClientSession) -> int:
    """A closed account's certificates stay as the record of what was issued, without the
    holder's name."""
    result = collection("certificates").update_many(
        {"holder_id": holder_id},
        {"$set": {"holder_name": label, "holder_erased_at": at}},
        session=session,
    )
    return result.modified_count


outbox.carried_by("presentations")


def revoke(certificate_id: ObjectId, reason: str, at: datetime, session: ClientSession) -> None:
    """Mark a certificate revoked (idempotent: a revoked one keeps its first reason)."""
    collection("certificates").update_one(
        {"_id": certificate_id, "status": {"$ne": "revoked"}},
        {
            "$set": {
                "status": "revoked",
                "revoked": True,
                "revoked_reason": reason,
                "revoked_at": at,
            }
        },
        session=session,
    )
