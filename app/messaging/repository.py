"""Users' notification inboxes (inserted by app.messaging.notify; TTL-expired after retention)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("notifications")


def insert_many(docs: list[dict[str, Any]], session: ClientSession | None = None) -> None:
    if docs:
        _coll().insert_many(docs, ordered=True, session=session)


def page(user_id: ObjectId, unread_only: bool, limit: int, cursor: str | None) -> Page:
    # Index user_newest (user_id, _id) or user_unread_newest (user_id, read_at, _id).
    query: dict[str, Any] = {"user_id": user_id}
    if unread_only:
        query["read_at"] = None
    return paginate(_coll(), query, limit=limit, cursor=cursor)


def unread_count(user_id: ObjectId) -> int:
    return _coll().count_documents({"user_id": user_id, "read_at": None})


def get(user_id: ObjectId, notification_id: ObjectId) -> dict[str, Any] | None:
    return _coll().find_one({"_id": notification_id, "user_id": user_id})


def mark_read(user_id: ObjectId, notification_id: ObjectId, at: datetime) -> bool:
    """Set read_at once; reading an already-read item keeps its first read time."""
    result = _coll().update_one(
        {"_id": notification_id, "user_id": user_id, "read_at": None}, {"$set": {"read_at": at}}
    )
    return result.modified_count == 1


def mark_all_read(user_id: ObjectId, at: datetime) -> int:
    return (
        _coll()
        .update_many({"user_id": user_id, "read_at": None}, {"$set": {"read_at": at}})
        .modified_count
    )


def delete_for_user(user_id: ObjectId, session: ClientSession) -> int:
    """A closed account's inbox: removed (nothing requires keeping it)."""
    return _coll().delete_many({"user_id": user_id}, session=session).deleted_count
