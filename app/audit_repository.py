"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.db import collection
from app.pagination import Page, Windows, paginate


def append(entry: dict[str, Any], session: Any = None) -> None:
    collection("audit").insert_one(entry, session=session)


def page(
    actor: str | None,
    subject: str | None,
    action: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page:
    """Newest first. The log grows with every write, so it is read in windows back from NOW
    (app.pagination): a page costs about its size, not the log's."""
    query: dict[str, Any] = {}
    if actor:
        query["actor.id"] = actor
    if subject:
        query["subject.id"] = subject
    if action:
        query["action"] = action
    return paginate(collection("audit"), query, limit=limit, cursor=cursor, windows=Windows(now))


def for_subject(subject_id: str) -> list[dict[str, Any]]:
    return list(collection("audit").find({"subject.id": subject_id}).sort("_id", 1))
