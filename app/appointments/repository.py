"""The `appointments`, `appointment_slots` and `opening_hours` collections: the only code that
queries them. An appointment's state changes go through the case engine (app.cases.engine);
a slot's place is taken with one conditional update of its counter, in the same transaction
as the appointment it books, so of two people racing for the last place exactly one gets it and
no place is ever taken without its appointment."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from app import outbox, store
from app.db import collection, due_by
from app.pagination import Page, paginate

outbox.carried_by("opening_hours")


def coll() -> Collection[Any]:
    return collection("appointments")


def _slots() -> Collection[Any]:
    return collection("appointment_slots")


def _hours() -> Collection[Any]:
    return collection("opening_hours")


# ------------------------------------------------------------------ opening hours


def opening_hours(department: str) -> dict[str, Any] | None:
    return _hours().find_one({"_id": department})


def replace_opening_hours(
    department: str, fields: dict[str, Any], entries: list[dict[str, Any]]
) -> None:
    """Replace DEPARTMENT's weekly pattern (created on first use), its audit record queued."""
    store.update(_hours(), {"_id": department}, {"$set": fields}, entries, upsert=True)


# ------------------------------------------------------------------ slot counters


def ensure_slot(slot: str, department: str, start: datetime, end: datetime) -> None:
    """Create SLOT's counter at zero places taken if it does not exist yet (idempotent: it
    records no booking, so it may run outside the booking's transaction)."""
    try:
        _slots().update_one(
            {"_id": slot},
            {"$setOnInsert": {"department": department, "start": start, "end": end, "booked": 0}},
            upsert=True,
        )
    except DuplicateKeyError:
        pass  # two first bookings raced to create it: the other one did


def take_place(slot: str, capacity: int, session: ClientSession) -> bool:
    """Take one place of SLOT if fewer than CAPACITY are taken: one conditional `$inc`, in the
    booking's transaction. False when the slot is full."""
    result = _slots().update_one(
        {"_id": slot, "booked": {"$lt": capacity}}, {"$inc": {"booked": 1}}, session=session
    )
    return result.modified_count == 1


def release_places(slots: Iterable[str], session: ClientSession | None = None) -> None:
    """Give back one place of each of SLOTS (a cancellation, through the outbox)."""
    for slot in slots:
        _slots().update_one(
            {"_id": slot, "booked": {"$gt": 0}}, {"$inc": {"booked": -1}}, session=session
        )


def booked_counts(department: str, start: datetime, end: datetime) -> dict[str, int]:
    """Places taken per slot id of DEPARTMENT's slots starting in [START, END)."""
    cursor = _slots().find(
        {"department": department, "start": {"$gte": start, "$lt": end}}, {"booked": 1}
    )
    return {doc["_id"]: int(doc.get("booked", 0)) for doc in cursor}


# ------------------------------------------------------------------ appointments


def active_for(key: str) -> dict[str, Any] | None:
    return coll().find_one({"active_key": key})


def anonymise_owner(owner_id: ObjectId, label: str, at: datetime, session: ClientSession) -> int:
    """A closed account's appointments, kept with the visits they record: the owner's name and
    the name on the timeline entries they made become LABEL (index `owner` on owner_id)."""
    result = coll().update_many(
        {"owner_id": owner_id},
        {
            "$set": {
                "owner.name": label,
                "owner.erased_at": at,
                "timeline.$[mine].actor.name": label,
            }
        },
        array_filters=[{"mine.actor.id": str(owner_id)}],
        session=session,
    )
    return result.modified_count


def by_idempotency_key(key: str) -> dict[str, Any] | None:
    return coll().find_one({"idempotency_key": key})


def page_for_owner(owner_id: ObjectId, limit: int, cursor: str | None) -> Page:
    """The person's appointments, newest booking first."""
    return paginate(coll(), {"owner_id": owner_id}, limit=limit, cursor=cursor)


def page_for_day(
    department: str, start: datetime, end: datetime, limit: int, cursor: str | None
) -> Page:
    """DEPARTMENT's appointments starting in [START, END), in order of their start."""
    return paginate(
        coll(),
        {"department": department, "start": {"$gte": start, "$lt": end}},
        sort_field="start",
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def reminders_due(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Booked appointments whose reminder time has come (index reminder_due)."""
    return list(coll().find({"remind_at": due_by(now)}).sort("remind_at", 1).limit(limit))


def mark_reminded(
    appointment_id: ObjectId, expected: datetime, now: datetime, entries: list[dict[str, Any]]
) -> bool:
    """Null the reminder if it still holds the value the worker read, with ENTRIES (the
    notification) queued in the same write: of several workers exactly one sends it."""
    return store.update(
        coll(),
        {"_id": appointment_id, "remind_at": expected, "status": "booked"},
        {"$set": {"remind_at": None, "reminded_at": now}},
        entries,
    )
