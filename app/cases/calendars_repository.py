"""Admin-replaced official calendars, one document per year."""

from __future__ import annotations

from typing import Any

from app.db import collection


def all_years() -> list[dict[str, Any]]:
    return list(collection("calendars").find({}))


def get(year: int) -> dict[str, Any] | None:
    return collection("calendars").find_one({"_id": year})


def replace(year: int, doc: dict[str, Any]) -> None:
    collection("calendars").replace_one({"_id": year}, {**doc, "_id": year}, upsert=True)
