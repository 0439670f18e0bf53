"""Login failure counters and known sign-in addresses (TTL-indexed on expires_at)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.db import collection


def failures(key: str) -> dict[str, Any] | None:
    return collection("login_failures").find_one({"_id": key})


def add_failure(key: str, now: datetime, expires_at: datetime) -> int:
    """Count one failure under KEY; the new count. Two statements (upsert, then read): the
    embedded server's findAndModify scans its collection."""
    coll = collection("login_failures")
    coll.update_one(
        {"_id": key},
        {"$inc": {"failures": 1}, "$set": {"last_at": now, "expires_at": expires_at}},
        upsert=True,
    )
    doc = coll.find_one({"_id": key}, {"failures": 1})
    return int(doc["failures"]) if doc else 1


def block_until(key: str, until: datetime) -> None:
    # $max: two processes that both counted a failure keep the later end of the block.
    collection("login_failures").update_one({"_id": key}, {"$max": {"blocked_until": until}})


def clear(key: str) -> None:
    collection("login_failures").delete_one({"_id": key})


def is_known(key: str) -> bool:
    return collection("login_known_addresses").find_one({"_id": key}, {"_id": 1}) is not None


def remember(key: str, expires_at: datetime) -> None:
    collection("login_known_addresses").update_one(
        {"_id": key}, {"$set": {"expires_at": expires_at}}, upsert=True
    )
