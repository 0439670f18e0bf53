"""`inbox_heads`: per work queue (an inbox key), where its most urgent entry was last seen and
the span of the sort key one page needed.

Staff inboxes list oldest-first, so a windowed read (app.pagination.Windows) needs to know
where a queue begins; a plain read would make the embedded server fetch and sort the whole
queue for every page. A head is only a hint: the first window is open below it, so a stale
or missing head costs time, never an entry, and dropping the collection is always safe.
Readers never write it (a GET writes nothing): a command that files a case under a queue
queues an `inbox` outbox entry, which the relay folds into the queue's head (`$min`) and its
`last` entry (`$max`), and the worker moves each head up to its queue's first entry now and
then (`advance_all`). A head's `stamp` changes whenever what its queue lists changes
(`renew`): readers keep a queue's pages under it (app.page_cache). `last` ends the windows
(Windows.end): a queue shorter than a page is one read, not every window; an entry filed
since (its entry not yet relayed) lies past it, in the open window that reaches it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import clock, outbox
from app.db import collection
from app.pagination import FirstPages, Page, Windows, as_time, page_span, paginate

DEFAULT_WIDTH_SECONDS = 3600.0

# Per queue, its first page when this process last read it (unfiltered): hints like the
# head's `at` and `width`, which the worker refreshes only every minute. Without them, a
# queue that filled fast since the worker's last pass is read nearly whole for every page
# (hundreds of cases within the head's hour, or past a head its accepted cases left).
_LEARNED = FirstPages()


@dataclass(frozen=True)
class Queue:
    """A family of work queues: keys starting with PREFIX, read from COLLECTION_NAME with
    QUERY(key), oldest first on SORT_FIELD."""

    prefix: str
    collection_name: str
    query: Callable[[str], dict[str, Any]]
    sort_field: str


_QUEUES: list[Queue] = []


def register_queue(queue: Queue) -> None:
    _QUEUES.append(queue)


def entered(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    queues: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    """The outbox entry telling the heads of the queues AFTER is filed under, and BEFORE was
    not, where it sits (none when it entered no queue)."""
    now_in = queues(after)
    was_in = queues(before) if before is not None else {}
    new = {key: at for key, at in now_in.items() if key not in was_in and at is not None}
    return [outbox.entry("inbox", positions=new)] if new else []


@outbox.applier("inbox")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    move((item.entry["positions"] for item in pending), session)


def move(
    positions: Iterable[Mapping[str, Any]],
    session: ClientSession | None = None,
    heads: Collection[Any] | None = None,
) -> None:
    """Each of POSITIONS maps queues to where an entry sits in them: each queue's head moves
    back to its earliest (`$min`) and its `last` on to its latest (`$max`). Commutative, so a
    bulk load (bench.scale, through its own client: HEADS) may move heads beside the relay."""
    earliest: dict[str, Any] = {}
    latest: dict[str, Any] = {}
    for entry in positions:
        for key, at in entry.items():
            earliest[key] = min(at, earliest.get(key, at))
            latest[key] = max(at, latest.get(key, at))
    if not earliest:
        return
    (heads if heads is not None else _coll()).bulk_write(
        [
            UpdateOne(
                {"_id": key},
                {
                    "$min": {"at": at},
                    "$max": {"last": latest[key]},
                    "$setOnInsert": {"width": DEFAULT_WIDTH_SECONDS},
                },
                upsert=True,
            )
            for key, at in earliest.items()
        ],
        ordered=False,
        session=session,
    )


def _coll() -> Collection[Any]:
    return collection("inbox_heads")


def renew(keys: set[str], session: ClientSession) -> None:
    """What the queues KEYS list changed (app.cases.inbox_items): their heads take a new
    `stamp`, under which readers keep pages. A queue without a head has no stamp: its pages
    are read every time (its head comes with the first case filed under it)."""
    if keys:
        _coll().update_many(
            {"_id": {"$in": sorted(keys)}}, {"$set": {"stamp": ObjectId()}}, session=session
        )


def renew_all(heads: Collection[Any] | None = None) -> None:
    (heads if heads is not None else _coll()).update_many({}, {"$set": {"stamp": ObjectId()}})


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
) -> Page:
    """A page of one queue, oldest first on SORT_FIELD, read in windows from its head."""
    start = as_time(head.get("at")) if head else None
    end = as_time(head.get("last")) if head else None
    width = timedelta(seconds=head["width"] if head else DEFAULT_WIDTH_SECONDS)
    learned = _LEARNED.get(key)
    if learned is not None and start is not None:
        start, width = max(start, learned[0]), _LEARNED.width(key, limit, width)
    windows = Windows(start, width, end) if head and start else None
    page = paginate(
        coll,
        query,
        sort_field=sort_field,
        descending=False,
        limit=limit,
        cursor=cursor,
        windows=windows,
    )
    if windows and cursor is None and sort_field not in query:
        _LEARNED.saw(key, page, sort_field)
    return page


PAGE = 20


def advance_all() -> int:
    """Move every queue's head to the queue's first entry (and its width to what a page
    spans), reading each queue's first page from its current head. Returns how many moved."""
    moved = 0
    now = clock.now()
    for head in list(_coll().find({})):
        queue = next((q for q in _QUEUES if head["_id"].startswith(q.prefix)), None)
        if queue is None:
            continue
        page = queue_page(
            collection(queue.collection_name),
            head["_id"],
            head,
            queue.query(head["_id"]),
            sort_field=queue.sort_field,
            limit=PAGE,
            cursor=None,
            now=now,
        )
        items = page.items
        # An empty queue's next entry arrives at about now.
        at = as_time(items[0][queue.sort_field]) if items else now
        span = page_span(items, queue.sort_field)
        width = span.total_seconds() if span else head["width"]
        if as_time(head["at"]) == at and head["width"] / 2 <= width <= head["width"] * 2:
            continue
        _coll().update_one({"_id": head["_id"]}, {"$set": {"at": at, "width": width}})
        moved += 1
    return moved
