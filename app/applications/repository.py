"""The `applications` collection: the only code that queries it. State changes go through
the case engine (app.cases.engine); this module holds the reads and the inbox queries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import store
from app.cases import inbox_heads, inbox_items
from app.db import collection, due_by
from app.page_cache import PageCache
from app.pagination import Page, encode_cursor, page_span, paginate


def coll() -> Collection[Any]:
    return collection("applications")


# The queues are read from the cases' slim copies (app.cases.inbox_items), which carry the
# same inbox_keys and inbox_at under the case's _id.
for _prefix in ("accept:", "review:", "verify:"):
    inbox_heads.register_queue(
        inbox_heads.Queue(_prefix, "inbox_items", lambda key: {"inbox_keys": key}, "inbox_at")
    )


def get(application_id: ObjectId) -> dict[str, Any] | None:
    return coll().find_one({"_id": application_id})


def owned_by(application_id: ObjectId, applicant_id: ObjectId) -> dict[str, Any] | None:
    """The application if it is APPLICANT_ID's own (others' look like missing ones)."""
    return coll().find_one({"_id": application_id, "applicant_id": applicant_id})


def get_by_idempotency_key(key: str) -> dict[str, Any] | None:
    """The application a request with this (caller-scoped) Idempotency-Key created."""
    return coll().find_one({"idempotency_key": key})


def get_by_tracking_no(tracking_no: str) -> dict[str, Any] | None:
    return coll().find_one({"tracking_no": tracking_no})


def applicant_query(applicant_id: ObjectId, status: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"applicant_id": applicant_id}
    if status:
        query["status"] = status
    return query


def page_for_applicant(
    applicant_id: ObjectId, status: str | None, limit: int, cursor: str | None
) -> Page:
    """The applicant's own applications, newest first."""
    return paginate(coll(), applicant_query(applicant_id, status), limit=limit, cursor=cursor)


def inbox_query(key: str, overdue: bool | None, now: datetime) -> dict[str, Any]:
    """Cases filed under KEY (see application_workflow.inbox_keys). `inbox_at` is the due
    time of cases in review, so the overdue filter is a range on the same index. One key per
    query: the embedded server answers `$in` plus a range with a collection scan."""
    query: dict[str, Any] = {"inbox_keys": key}
    if overdue is True:
        query["inbox_at"] = {"$lt": now}
    elif overdue is False:
        query["inbox_at"] = {"$gte": now}
    return query


# What an inbox item shows (service.inbox_item, rules.overdue), kept in the case's slim copy:
# a case's timeline, materials and form answers are most of its bytes, and the embedded
# server decodes every document a queue's window matches in full.
INBOX_FIELDS = (
    "tracking_no",
    "status",
    "applicant",
    "applicant_id",
    "department",
    "region",
    "submitted_at",
    "accepted_at",
    "due_at",
    "completed_at",
    "closed_at",
    "clock_paused_at",
    "reviews",
    "version",
)


def inbox_copy(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of the slim copy the inbox reads of case DOC (app.cases.inbox_items)."""
    copy = {field: doc[field] for field in INBOX_FIELDS if field in doc}
    copy["matter"] = {key: doc["matter"][key] for key in ("code", "version", "name")}
    last = (doc.get("supplements") or [])[-1:]
    copy["supplements"] = [{"returned_at": s.get("returned_at")} for s in last]
    return copy


# Pages of the inbox kept per process under their queues' stamps (app.page_cache); a write
# that renews no stamp (an operator's shell) shows after at most this long.
INBOX_PAGE_MAX_AGE = 30.0
_inbox_pages = PageCache()


def inbox_page(
    keys: list[str], overdue: bool | None, now: datetime, limit: int, cursor: str | None
) -> Page:
    """Most urgent first: earliest inbox_at (due_at, or submitted_at awaiting acceptance).
    Each key is its own queue, read from the cases' slim copies (app.cases.inbox_items) in
    windows from its head (app.cases.inbox_heads) from the same cursor, and the queues
    merged. Without an overdue filter, a page is kept under the stamps of its queues' heads,
    which every change of what they list renews."""
    heads = inbox_heads.read(keys)
    stamps = tuple(heads.get(key, {}).get("stamp") for key in keys)
    if overdue is not None or None in stamps:
        # (An overdue filter is a range on NOW: its page changes with the clock alone.)
        return read_inbox_page(keys, overdue, now, limit, cursor, heads)
    return _inbox_pages.cached(
        (tuple(keys), stamps, limit, cursor),
        INBOX_PAGE_MAX_AGE,
        lambda: read_inbox_page(keys, None, now, limit, cursor, heads),
    )


def read_inbox_page(
    keys: list[str],
    overdue: bool | None,
    now: datetime,
    limit: int,
    cursor: str | None,
    heads: dict[str, dict[str, Any]] | None = None,
) -> Page:
    """inbox_page read from the copies, never from the pages kept (bench.scale compares it
    with one plain range)."""
    heads = inbox_heads.read(keys) if heads is None else heads
    items: dict[Any, dict[str, Any]] = {}
    more = False
    bound: datetime | None = None
    for key in dict.fromkeys(keys):
        query = inbox_query(key, overdue, now)
        if bound is not None:
            # A full page of an earlier queue ends at BOUND: whatever a later queue holds
            # past it cannot be among the merge's first limit + 1 (those queues hold mostly
            # the same cases, so this read is about a page, whatever its hints say).
            query["inbox_at"] = {**query.get("inbox_at", {}), "$lte": bound}
        page = inbox_heads.queue_page(
            inbox_items.coll(),
            key,
            heads.get(key),
            query,
            sort_field="inbox_at",
            limit=limit,
            cursor=cursor,
            now=now,
        )
        more = more or page.next_cursor is not None
        for doc in page.items:
            items.setdefault(doc["_id"], doc)
        if page.next_cursor is not None:
            last = page.items[-1]["inbox_at"]
            bound = last if bound is None else min(bound, last)
    merged = sorted(items.values(), key=lambda doc: (doc["inbox_at"], doc["_id"]))
    more = more or len(merged) > limit
    merged = merged[:limit]
    span = page_span(merged, "inbox_at")
    next_cursor = encode_cursor("inbox_at", merged[-1], span) if more and merged else None
    return Page(merged, next_cursor)


def anonymise_applicant(
    applicant_id: ObjectId, label: str, at: datetime, session: ClientSession
) -> int:
    """A closed account's cases, kept as the law requires: the applicant snapshot loses its
    name, phone and ID number, and the timeline entries they made their name (index
    applicant_newest on applicant_id)."""
    person = {
        "applicant.name": label,
        "applicant.phone": None,
        "applicant.id_number": None,
        "applicant.erased_at": at,
    }
    result = coll().update_many(
        {"applicant_id": applicant_id},
        {"$set": {**person, "timeline.$[mine].actor.name": label}},
        array_filters=[{"mine.actor.id": str(applicant_id)}],
        session=session,
    )
    inbox_items.anonymise(applicant_id, person, session)
    # A posted result's address (app.delivery) goes with the rest of the person's data.
    coll().update_many(
        {"applicant_id": applicant_id, "delivery_address": {"$type": "object"}},
        {
            "$set": {
                "delivery_address.name": label,
                "delivery_address.phone": None,
                "delivery_address.address": None,
            }
        },
        session=session,
    )
    return result.modified_count


def add_visit_once(
    application_id: ObjectId,
    appointment_id: ObjectId,
    update: dict[str, Any],
    entries: list[dict[str, Any]],
    session: ClientSession,
) -> bool:
    """Record the visit of a checked-in appointment on the case, once (the relay may see the
    entry again after a crash): no status change, but a new version like every change."""
    return store.update(
        coll(),
        {"_id": application_id, "visits.appointment_id": {"$ne": appointment_id}},
        update,
        entries,
        session,
    )


def deferred_overdue(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Cases in handling whose earliest deferred material is past due (index
    `deferred_due_range`), earliest first."""
    query = {"deferred_due_at": due_by(now)}
    return list(coll().find(query).sort("deferred_due_at", 1).limit(limit))


def active_commitment_bar(applicant_id: ObjectId, now: datetime) -> dict[str, Any] | None:
    """APPLICANT's bar from commitments that runs longest past NOW, if any (index
    `applicant_until`)."""
    return collection("commitment_bars").find_one(
        {"applicant_id": applicant_id, "until": {"$gt": now}}, sort=[("until", -1)]
    )


def insert_commitment_bars(docs: list[dict[str, Any]], session: ClientSession) -> None:
    """One bar per case (its id): a replayed entry is a no-op."""
    if docs:
        collection("commitment_bars").bulk_write(
            [UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True) for doc in docs],
            ordered=True,
            session=session,
        )
