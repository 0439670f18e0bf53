"""The push delivery outbox: one row per (notification, device), written by app.messaging.notify.

States: pending → sending (claimed, with a lease in next_attempt_at) → sent | pending (retry
with backoff) | dead. Every change is a compare-and-set `update_one` on the row's state and
attempt count, so two workers never both own a row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession

from app.db import collection, due_by


def _coll():
    return collection("push_outbox")


def insert_many(rows: list[dict[str, Any]], session: ClientSession | None = None) -> None:
    if rows:
        _coll().insert_many(rows, ordered=True, session=session)


def due(state: str, now: datetime, limit: int) -> list[dict[str, Any]]:
    """Rows in STATE whose next_attempt_at has come (index `due`): pending rows to send, or
    sending rows whose lease ran out."""
    return list(
        _coll()
        .find({"state": state, "next_attempt_at": due_by(now)})
        .sort("next_attempt_at", 1)
        .limit(limit)
    )


def claim(row: dict[str, Any], now: datetime, lease_until: datetime, worker: str) -> bool:
    """pending (or a sending row whose lease expired) → sending, if nobody got there first."""
    result = _coll().update_one(
        {
            "_id": row["_id"],
            "state": row["state"],
            "attempts": row["attempts"],
            "next_attempt_at": row["next_attempt_at"],
        },
        {
            "$set": {
                "state": "sending",
                "next_attempt_at": lease_until,
                "claimed_at": now,
                "claimed_by": worker,
            },
            "$inc": {"attempts": 1},
        },
    )
    return result.modified_count == 1


def _finish(row_id: str, attempts: int, changes: dict[str, Any]) -> bool:
    # Only the claim that is still current may finish the row (a worker that overran its
    # lease and lost the row to another finds attempts changed and does nothing).
    result = _coll().update_one(
        {"_id": row_id, "state": "sending", "attempts": attempts}, {"$set": changes}
    )
    return result.modified_count == 1


def mark_sent(row_id: str, attempts: int, now: datetime) -> bool:
    return _finish(row_id, attempts, {"state": "sent", "sent_at": now, "last_error": None})


def mark_retry(row_id: str, attempts: int, next_attempt_at: datetime, error: str) -> bool:
    return _finish(
        row_id,
        attempts,
        {"state": "pending", "next_attempt_at": next_attempt_at, "last_error": error[:500]},
    )


def mark_dead(row_id: str, attempts: int, now: datetime, reason: str) -> bool:
    return _finish(row_id, attempts, {"state": "dead", "dead_at": now, "last_error": reason[:500]})


def kill_pending_for_token(token: str, now: datetime, reason: str) -> int:
    """A token reported invalid: its other queued pushes can never succeed either."""
    return (
        _coll()
        .update_many(
            {"token": token, "state": "pending"},
            {"$set": {"state": "dead", "dead_at": now, "last_error": reason}},
        )
        .modified_count
    )


def purge_finished(before: datetime) -> int:
    """Housekeeping: sent and dead rows older than the keep period."""
    deleted = 0
    for state, field in (("sent", "sent_at"), ("dead", "dead_at")):
        deleted += _coll().delete_many({"state": state, field: {"$lt": before}}).deleted_count
    return deleted


def dead_letters() -> int:
    """Rows dead-lettered and not yet purged by housekeeping (index `dead`)."""
    return _coll().count_documents({"state": "dead"})
