"""Idempotency records (TTL-indexed on expires_at)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app import clock
from app.db import collection


def _coll():
    return collection("idempotency_keys")


def claim(record_id: str, fingerprint: str, ttl_seconds: int) -> None:
    now = clock.now()
    _coll().insert_one(
        {
            "_id": record_id,
            "fingerprint": fingerprint,
            "response": None,
            "locked_at": now,
            "expires_at": now + timedelta(seconds=ttl_seconds),
        }
    )


def get(record_id: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": record_id})


def take_over_stale(record_id: str, lock_seconds: int) -> bool:
    """A claim whose request died without releasing it may be taken over after a while."""
    now = clock.now()
    result = _coll().update_one(
        {
            "_id": record_id,
            "response": None,
            "locked_at": {"$lt": now - timedelta(seconds=lock_seconds)},
        },
        {"$set": {"locked_at": now}},
    )
    return result.modified_count == 1


def complete(record_id: str, status: int, body: str, headers: dict[str, str]) -> None:
    _coll().update_one(
        {"_id": record_id},
        {"$set": {"response": {"status": status, "body": body, "headers": headers}}},
    )


def release(record_id: str) -> None:
    _coll().delete_one({"_id": record_id, "response": None})
