"""The case engine's reads of any case collection, and the reads and SLA-clock writes the
supervision sweeps make on them (limited to the shared case fields: status, version,
timeline, clock, outbox). The case features' repositories own everything else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from app import store
from app.db import collection, due_by

CASE_COLLECTIONS = {
    "application": "applications",
    "complaint": "complaints",
    "appointment": "appointments",
    "rectification": "rectifications",
    "bundle_application": "bundle_applications",
}
SWEEP_FIELDS = (
    "_id",
    "tracking_no",
    "status",
    "region",
    "department",
    "due_at",
    "warn_at",
    "overdue_at",
    "assigned_to",
    "assignee",
    "reopens",  # the round of handling (app.oversight.events.for_case)
)


def collection_of(name: str) -> Collection[Any]:
    return collection(name)


def get_in(name: str, case_id: ObjectId) -> dict[str, Any] | None:
    """A case of collection NAME by id (the engine's load)."""
    return collection(name).find_one({"_id": case_id})


def get(kind: str, case_id: ObjectId) -> dict[str, Any] | None:
    return collection(CASE_COLLECTIONS[kind]).find_one({"_id": case_id})


def every(kind: str) -> Iterator[dict[str, Any]]:
    """Every case of KIND (the KPI rebuild's full read)."""
    return collection(CASE_COLLECTIONS[kind]).find({}, batch_size=1000)


def reserve_numbers(counter_id: str, block: int, expires_at: datetime) -> int:
    """Add BLOCK to the counter COUNTER_ID (created on first use, expiring at EXPIRES_AT);
    returns its new value. find_one_and_update is the one atomic read-modify-write we need (a
    number must never be handed out twice). The embedded server answers it by scanning the
    whole collection (3.9 s at 100 k documents; `make bench-scale` measures it), so it runs only
    on `counters`, which expiring counters keep at a few documents."""
    doc = collection("counters").find_one_and_update(
        {"_id": counter_id},
        {"$inc": {"seq": block}, "$setOnInsert": {"expires_at": expires_at}},
        upsert=True,
        return_document=True,
    )
    assert doc is not None  # upsert with return_document=True always returns the document
    return int(doc["seq"])


def clocks_due(kind: str, clock_field: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Cases whose CLOCK_FIELD (warn_at / overdue_at) has come (index sla_*_due)."""
    return list(
        collection(CASE_COLLECTIONS[kind])
        .find({clock_field: due_by(now)}, {f: 1 for f in SWEEP_FIELDS})
        .sort(clock_field, 1)
        .limit(limit)
    )


def clear_clock(
    kind: str,
    case_id: ObjectId,
    clock_field: str,
    expected: datetime,
    entries: list[dict[str, Any]],
) -> bool:
    """Null the clock if it still holds the value the sweeper read, with ENTRIES (the event)
    queued in the same write: of several sweepers (or a sweeper and a transition that moved
    the clock) exactly one wins. No version bump: the clock is bookkeeping, and bumping would
    make a user's If-Match fail for nothing."""
    return store.update(
        collection(CASE_COLLECTIONS[kind]),
        {"_id": case_id, clock_field: expected},
        {"$set": {clock_field: None}},
        entries,
    )
