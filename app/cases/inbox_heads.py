"""`inbox_heads`: per work queue (an inbox key), where its most urgent entry was last seen
and the span of the sort key one page needed.

Staff inboxes list oldest-first, so a windowed read (app.pagination.Windows) needs to know
where a queue begins; a plain read would make the embedded server fetch and sort the whole
queue for every page. A head is only a hint: the first window is open below it, so a stale
or missing head costs time, never an entry, and dropping the collection is always safe.
Readers keep it current (one small write, only when the head moved); writers never touch it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.collection import Collection

from app.db import collection
from app.pagination import Page, Windows, as_time, page_span, paginate

DEFAULT_WIDTH_SECONDS = 3600.0


def _coll() -> Collection[Any]:
    return collection("inbox_heads")


def read(keys: list[str]) -> dict[str, dict[str, Any]]:
    return {doc["_id"]: doc for doc in _coll().find({"_id": {"$in": list(keys)}})}


def queue_page(
    coll: Collection[Any],
    key: str,
    head: dict[str, Any] | None,
    query: dict[str, Any],
    *,
    sort_field: str,
    limit: int,
    cursor: str | None,
    now: datetime,
    from_the_head: bool,
) -> Page:
    """A page of one queue, oldest first on SORT_FIELD, read in windows from its head.
    FROM_THE_HEAD: the page starts at the queue's head (a first page, with no filter that
    skips its oldest entries), so its first entry is the new head."""
    start = as_time(head.get("at")) if head else None
    windows = Windows(start, timedelta(seconds=head["width"])) if head and start else None
    page = paginate(
        coll,
        query,
        sort_field=sort_field,
        descending=False,
        limit=limit,
        cursor=cursor,
        windows=windows,
    )
    if from_the_head and cursor is None:
        _saw(key, head, page.items, sort_field, now)
    return page


def _saw(
    key: str,
    head: dict[str, Any] | None,
    items: list[dict[str, Any]],
    sort_field: str,
    now: datetime,
) -> None:
    """Remember the queue's head after reading its first page: an empty queue's next entry
    arrives at about NOW."""
    at = as_time(items[0][sort_field]) if items else now
    span = page_span(items, sort_field)
    width = span.total_seconds() if span else (head["width"] if head else DEFAULT_WIDTH_SECONDS)
    if head and as_time(head["at"]) == at and head["width"] / 2 <= width <= head["width"] * 2:
        return
    _coll().update_one({"_id": key}, {"$set": {"at": at, "width": width}}, upsert=True)
