"""Supervision events (raised by app.oversight.events): the feed, the stream's catch-up reads,
and the follow-up transitions' collection. Every read is scoped by one `region_path` equality,
served by the feed indexes of migrations 0003/0030; feed pages are kept under their region's
stamp (app.oversight.feed_tails)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import store
from app.db import collection
from app.oversight import feed_tails
from app.page_cache import PageCache
from app.pagination import FirstPages, Page, Windows, paginate

# Feed pages kept per process under their region's stamp (app.page_cache, feed_tails): a
# write that renews no stamp (an operator's shell) shows after at most this long.
FEED_PAGE_MAX_AGE = 30.0
_feed_pages = PageCache()
# What each listing's first page spanned: its next first window holds about a page (a
# region raising hundreds of events an hour had all of its last hour fetched and sorted).
_first_pages = FirstPages()


def coll() -> Collection[Any]:
    return collection("supervision_events")


def get(event_id: ObjectId) -> dict[str, Any] | None:
    return coll().find_one({"_id": event_id})


def insert_unless_raised(docs: list[dict[str, Any]], session: ClientSession) -> set[str]:
    """Insert each of DOCS whose dedupe_key is free (index dedupe_key, unique); returns the keys
    inserted. Upserts, so a taken key is a no-op rather than an error that would abort the
    caller's transaction."""
    if not docs:
        return set()
    result = coll().bulk_write(
        [
            UpdateOne({"dedupe_key": doc["dedupe_key"]}, {"$setOnInsert": doc}, upsert=True)
            for doc in docs
        ],
        ordered=True,
        session=session,
    )
    raised = {docs[index]["dedupe_key"] for index in result.upserted_ids or {}}
    feed_tails.record((doc for doc in docs if doc["dedupe_key"] in raised), session)
    return raised


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A public report: the event is the command's own document (its tail follows through
    the outbox)."""
    return store.insert(coll(), doc, [*entries, feed_tails.entry(doc)])


def by_dedupe_key(key: str) -> dict[str, Any] | None:
    return coll().find_one({"dedupe_key": key})


def claim_notification(event_id: ObjectId, at: Any) -> bool:
    """The one caller that flips notified_at from unset notifies the people who must act."""
    result = coll().update_one(
        {"_id": event_id, "notified_at": None}, {"$set": {"notified_at": at}}
    )
    return result.modified_count == 1


def not_notified(event_type: str, limit: int) -> list[dict[str, Any]]:
    """Events of EVENT_TYPE whose notifications nobody has claimed (index type_notified)."""
    return list(coll().find({"type": event_type, "notified_at": None}).sort("_id", 1).limit(limit))


def feed(
    region: str,
    *,
    event_type: str | None,
    state: str | None,
    department: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page:
    """Newest first by _id: an event raised while a client pages has a larger _id than every
    page it has seen, so pages neither shift nor repeat. Read in windows of _id back from
    NOW (app.pagination), so a page costs about its size, not the region's history; kept
    under the region's feed stamp (feed_tails), which every change it shows renews."""
    end, stamp = feed_tails.tail(region)
    filters = (region, event_type, state, department, limit, cursor)

    def read() -> Page:
        return read_feed_page(*filters, now=now, end=end)

    if stamp is None:
        return read()
    # (A page does not depend on NOW: the windows only split the reads.)
    return _feed_pages.cached((*filters, stamp), FEED_PAGE_MAX_AGE, read)


def read_feed_page(
    region: str,
    event_type: str | None,
    state: str | None,
    department: str | None,
    limit: int,
    cursor: str | None,
    *,
    now: datetime,
    end: datetime | None,
) -> Page:
    """feed's page read from the events, never from the pages kept (bench.scale compares it
    with one plain range). END: the region's tail (None: no event yet, or only ones loaded
    around the relay, so the whole listing is one open read)."""
    query: dict[str, Any] = {"region_path": region}
    if event_type:
        query["type"] = event_type
    if state:
        query["state"] = state
    if department:
        query["department"] = department
    key = (region, event_type, state, department)
    width = _first_pages.width(key, limit, Windows.width)
    windows = Windows(now, width, end=end or now)
    page = paginate(coll(), query, limit=limit, cursor=cursor, windows=windows)
    if cursor is None:
        _first_pages.saw(key, page, "_id")
    return page


def after(
    region: str,
    last_id: ObjectId | None,
    before_id: ObjectId | None,
    limit: int,
    *,
    event_type: str | None = None,
    department: str | None = None,
) -> list[dict[str, Any]]:
    """Events of REGION with last_id < _id < before_id, oldest first (the stream's reads),
    optionally of one type and/or department: the feed's indexes (region_path[, type]
    [, department], _id) serve each combination as one range, walked backwards."""
    bounds: dict[str, Any] = {}
    if last_id is not None:
        bounds["$gt"] = last_id
    if before_id is not None:
        bounds["$lt"] = before_id
    query: dict[str, Any] = {"region_path": region}
    if event_type:
        query["type"] = event_type
    if department:
        query["department"] = department
    if bounds:
        query["_id"] = bounds
    return list(coll().find(query).sort("_id", 1).limit(limit))


def newest_id(region: str, now: datetime) -> ObjectId | None:
    page = paginate(
        coll(), {"region_path": region}, limit=1, projection={"_id": 1}, windows=Windows(now)
    )
    return page.items[0]["_id"] if page.items else None


def raised(event_type: str) -> int:
    """Events of EVENT_TYPE ever raised (index type_notified's leading key)."""
    return coll().count_documents({"type": event_type})
