"""The `work_digests` collection: per staff member, the work that reached their inbox since
their last work notification (written by the relay, flushed by the worker)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app.db import collection, due_by


def _coll() -> Collection[Any]:
    return collection("work_digests")


def add(arrivals: dict[ObjectId, dict[str, Any]], now: datetime, session: ClientSession) -> None:
    """Fold ARRIVALS (user -> {"counts": {kind: n}, "subject": last subject}) into each
    person's digest. A new digest is due at once; one flushed is due after its interval."""
    if not arrivals:
        return
    _coll().bulk_write(
        [
            UpdateOne(
                {"_id": user_id},
                {
                    "$inc": {
                        "seq": 1,
                        **{f"counts.{kind}": n for kind, n in arrival["counts"].items()},
                    },
                    "$set": {"pending": True, "last_subject": arrival["subject"]},
                    "$min": {"first_at": now},
                    "$setOnInsert": {"not_before": now},
                },
                upsert=True,
            )
            for user_id, arrival in arrivals.items()
        ],
        ordered=False,
        session=session,
    )


def due(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Digests with something pending whose interval has passed (index `due`)."""
    return list(
        _coll()
        .find({"pending": True, "not_before": due_by(now)})
        .sort("not_before", 1)
        .limit(limit)
    )


def flush(
    digest: dict[str, Any], now: datetime, not_before: datetime, session: ClientSession
) -> bool:
    """Empty DIGEST as read (nothing arrived since: same seq) and hold the next until
    NOT_BEFORE; False if it changed meanwhile (the next pass flushes it)."""
    result = _coll().update_one(
        {"_id": digest["_id"], "seq": digest["seq"], "pending": True},
        {
            "$set": {"pending": False, "counts": {}, "not_before": not_before, "flushed_at": now},
            "$unset": {"first_at": "", "last_subject": ""},
        },
        session=session,
    )
    return result.modified_count == 1
