"""Admin-replaced official calendars, one document per year."""

from __future__ import annotations

from typing import Any

from app import outbox, store
from app.db import collection


def all_years() -> list[dict[str, Any]]:
    return list(collection("calendars").find({}))


def get(year: int) -> dict[str, Any] | None:
    return collection("calendars").find_one({"_id": year})


outbox.carried_by("calendars")


def replace(year: int, doc: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Set YEAR's days (every field of DOC) with ENTRIES queued, in one write."""
    store.update(collection("calendars"), {"_id": year}, {"$set": doc}, entries, upsert=True)
