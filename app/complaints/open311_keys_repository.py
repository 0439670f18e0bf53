"""Open311 API keys (`open311_keys`): names and key hashes, never the keys themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from app import outbox, store
from app.db import collection


def _coll():
    return collection("open311_keys")


outbox.carried_by("open311_keys")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(_coll(), doc, entries)


def find_active(key_hash: str) -> dict[str, Any] | None:
    return _coll().find_one({"key_hash": key_hash, "revoked_at": None})


def revoke(key_id: ObjectId, at: datetime, entries: list[dict[str, Any]]) -> bool:
    return store.update(
        _coll(), {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": at}}, entries
    )
