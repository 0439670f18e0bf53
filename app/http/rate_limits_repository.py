"""Rate-limit window counters (TTL-indexed on expires_at)."""

from __future__ import annotations

from datetime import datetime

from app.db import collection


def increment(window_id: str, expires_at: datetime) -> int:
    coll = collection("rate_limits")
    coll.update_one(
        {"_id": window_id},
        {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
        upsert=True,
    )
    doc = coll.find_one({"_id": window_id}, {"count": 1})
    return int(doc["count"]) if doc else 1
