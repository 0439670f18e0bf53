"""Complaint categories (`complaint_categories`, _id = the category code)."""

from __future__ import annotations

from typing import Any

from app import outbox, store
from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("complaint_categories")


outbox.carried_by("complaint_categories")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(_coll(), doc, entries)


def get(code: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": code})


def all_categories(active_only: bool = True) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"active": True} if active_only else {}
    return list(_coll().find(query).sort("_id", 1))


def page_active(limit: int, cursor: str | None) -> Page:
    """Active categories in code order, a page at a time."""
    return paginate(_coll(), {"active": True}, descending=False, limit=limit, cursor=cursor)


def replace(
    code: str, expected_version: int, doc: dict[str, Any], entries: list[dict[str, Any]]
) -> bool:
    """Every field of DOC set with ENTRIES queued, as a compare-and-set on the version, so two
    admins' edits never silently overwrite (a $set, not a replace: queued entries stay)."""
    fields = {k: v for k, v in doc.items() if k != "_id"}
    return store.update(
        _coll(), {"_id": code, "version": expected_version}, {"$set": fields}, entries
    )
