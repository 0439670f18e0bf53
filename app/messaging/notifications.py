"""The signed-in user's notification inbox: list, unread count, read, read-all."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from app import clock
from app.accounts.auth import Principal
from app.http.errors import NotFound
from app.messaging import repository as repo
from app.pagination import Page


def inbox(user: Principal, unread_only: bool, limit: int, cursor: str | None) -> Page:
    return repo.page(user.oid, unread_only, limit, cursor)


def unread_count(user: Principal) -> int:
    return repo.unread_count(user.oid)


def parse_id(raw: str, what: str = "record") -> ObjectId:
    """A path id; anything that is not an ObjectId is simply not found."""
    if not ObjectId.is_valid(raw) or len(raw) != 24:
        raise NotFound(f"No such {what}.")
    return ObjectId(raw)


def mark_read(user: Principal, raw_id: str) -> dict[str, Any]:
    # Another user's notification is the same 404 as a missing one.
    notification_id = parse_id(raw_id, "notification")
    repo.mark_read(user.oid, notification_id, clock.now())
    doc = repo.get(user.oid, notification_id)
    if doc is None:
        raise NotFound("No such notification.")
    return doc


def mark_all_read(user: Principal) -> int:
    return repo.mark_all_read(user.oid, clock.now())
