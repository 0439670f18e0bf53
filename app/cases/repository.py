"""Oversight's reads and SLA-clock writes on the case collections (`applications`,
`complaints`), limited to the shared case conventions (COMMON.md): the supervision worker's
sweeps and the lookups of public reports. The case features own everything else."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from app.db import collection

CASE_COLLECTIONS = {"application": "applications", "complaint": "complaints"}
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
    "reopens",  # the round of handling (app.oversight.events.raise_for_case)
)


def get(kind: str, case_id: ObjectId) -> dict[str, Any] | None:
    return collection(CASE_COLLECTIONS[kind]).find_one({"_id": case_id})


def clocks_due(kind: str, clock_field: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Cases whose CLOCK_FIELD (warn_at / overdue_at) has come (index sla_*_due)."""
    return list(
        collection(CASE_COLLECTIONS[kind])
        .find({clock_field: {"$lte": now}}, {f: 1 for f in SWEEP_FIELDS})
        .sort(clock_field, 1)
        .limit(limit)
    )


def clear_clock(kind: str, case_id: ObjectId, clock_field: str, expected: datetime) -> bool:
    """Null the clock if it still holds the value the sweeper read: of several sweepers (or a
    sweeper and a transition that moved the clock) exactly one wins. No version bump: the
    clock is bookkeeping, and bumping would make a user's If-Match fail for nothing."""
    result = collection(CASE_COLLECTIONS[kind]).update_one(
        {"_id": case_id, clock_field: expected}, {"$set": {clock_field: None}}
    )
    return result.modified_count == 1
