"""`feed_tails`: per region, a time at or before its oldest supervision event, and the stamp
of its feed.

The feed reads newest first in windows back from now (app.pagination.Windows); the region's
tail ends them (Windows.end), so a region with fewer events than a page costs one or two
reads instead of every window. A tail is a hint, never a filter: one that is too recent
costs one wider read (the open window holds everything past it), never an event. A region
without a tail has no event yet, so its feed is one open read; after dropping the
collection, rerun migration 0081's upgrade, or every feed is one plain read until then.

The stamp renews with every change the region's feed shows (an event raised in it or below,
an event followed up), so feed pages are kept per process under it (app.page_cache,
app.oversight.repository.feed). A tail without a stamp (written before migration 0101) keeps
no page.

Kept by the relay, in the transaction that inserts the events (`record`); a public report
and every follow-up queue a `feed_tail` outbox entry in their own write; migration 0081 set
the tails of the events that existed before. A new event is newer than every other, so a
tail moves only for a region's first event, or for history loaded in bulk (bench/scale.py
calls `record`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import outbox
from app.db import collection
from app.pagination import as_time


def _coll() -> Collection[Any]:
    return collection("feed_tails")


def record(events: Iterable[dict[str, Any]], session: ClientSession | None = None) -> None:
    """Move the tail of every region in EVENTS' region paths back to the oldest of them, and
    renew their stamps (EVENTS were raised or changed)."""
    oldest: dict[str, datetime] = {}
    for event in events:
        at = as_time(event["_id"])
        if at is None:
            continue
        for region in event.get("region_path") or ():
            oldest[region] = min(at, oldest.get(region, at))
    if oldest:
        stamp = ObjectId()
        _coll().bulk_write(
            [
                UpdateOne({"_id": r}, {"$min": {"at": at}, "$set": {"stamp": stamp}}, upsert=True)
                for r, at in oldest.items()
            ],
            ordered=False,
            session=session,
        )


def entry(event: Mapping[str, Any]) -> dict[str, Any]:
    """The outbox entry that records EVENT's tail and renews its regions' stamps (for an event
    a command wrote, not the relay: a public report, a follow-up)."""
    return outbox.entry(
        "feed_tail", event={"_id": event["_id"], "region_path": event.get("region_path")}
    )


@outbox.applier("feed_tail")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    record((item.entry["event"] for item in pending), session)


def tail(region: str) -> tuple[datetime | None, ObjectId | None]:
    """Where REGION's feed ends (at or before its oldest event) and its feed's stamp, each
    None when unknown."""
    doc = _coll().find_one({"_id": region})
    if doc is None:
        return None, None
    return as_time(doc["at"]), doc.get("stamp")
