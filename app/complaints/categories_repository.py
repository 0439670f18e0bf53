"""Complaint categories (`complaint_categories`, _id = the category code)."""

from __future__ import annotations

from typing import Any

from app.db import collection


def _coll():
    return collection("complaint_categories")


def insert(doc: dict[str, Any]) -> None:
    _coll().insert_one(doc)


def get(code: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": code})


def all_categories(active_only: bool = True) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"active": True} if active_only else {}
    return list(_coll().find(query).sort("_id", 1))


def replace(code: str, expected_version: int, doc: dict[str, Any]) -> bool:
    """Compare-and-set on the version, so two admins' edits never silently overwrite."""
    result = _coll().replace_one({"_id": code, "version": expected_version}, doc)
    return result.modified_count == 1
