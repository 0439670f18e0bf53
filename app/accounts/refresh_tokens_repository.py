"""Refresh tokens, stored as digests, grouped in families for theft detection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import clock
from app.db import collection


def _coll():
    return collection("refresh_tokens")


def insert(digest: str, user_id: ObjectId, family: str, expires_at: datetime) -> None:
    _coll().insert_one(
        {
            "_id": digest,
            "user_id": user_id,
            "family": family,
            "created_at": clock.now(),
            "expires_at": expires_at,
            "used_at": None,
            "revoked_at": None,
        }
    )


def get(digest: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": digest})


def mark_used(digest: str, *, at: datetime, successor: str, client: str | None, kid: str) -> bool:
    """Compare-and-set: only one presentation of a live token can win. The winner records,
    in the same write, what a retry of it needs to be recognised and answered the same way:
    the successor's digest, the rotating client's keyed fingerprint, the key that made both."""
    result = _coll().update_one(
        {"_id": digest, "used_at": None, "revoked_at": None, "expires_at": {"$gt": at}},
        {"$set": {"used_at": at, "successor": successor, "client": client, "kid": kid}},
    )
    return result.modified_count == 1


def revoke_family(family: str, session: ClientSession | None = None) -> int:
    return (
        _coll()
        .update_many(
            {"family": family, "revoked_at": None},
            {"$set": {"revoked_at": clock.now()}},
            session=session,
        )
        .modified_count
    )


def revoke_user(user_id: ObjectId, session: ClientSession | None = None) -> int:
    return (
        _coll()
        .update_many(
            {"user_id": user_id, "revoked_at": None},
            {"$set": {"revoked_at": clock.now()}},
            session=session,
        )
        .modified_count
    )
