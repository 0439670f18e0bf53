"""Administrative regions (division codes)."""

from __future__ import annotations

from typing import Any

from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("regions")


def upsert(doc: dict[str, Any]) -> None:
    _coll().replace_one({"_id": doc["_id"]}, doc, upsert=True)


def get(code: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": code})


def all_regions() -> list[dict[str, Any]]:
    return list(_coll().find({}).sort("_id", 1))


def page(limit: int, cursor: str | None) -> Page:
    """Regions in code order, a page at a time."""
    return paginate(_coll(), {}, descending=False, limit=limit, cursor=cursor)


def count() -> int:
    return _coll().estimated_document_count()
