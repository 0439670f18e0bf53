"""Departments (government, 12345 hotline, mediation organisations)."""

from __future__ import annotations

from typing import Any

from app import outbox, store
from app.db import collection
from app.pagination import Page, paginate


def _coll():
    return collection("departments")


outbox.carried_by("departments")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(_coll(), doc, entries)


def get(code: str) -> dict[str, Any] | None:
    return _coll().find_one({"_id": code})


def get_many(codes: list[str]) -> dict[str, dict[str, Any]]:
    return {doc["_id"]: doc for doc in _coll().find({"_id": {"$in": codes}})}


def page(region: str | None, kind: str | None, limit: int, cursor: str | None) -> Page:
    query: dict[str, Any] = {}
    if region:
        query["region_path"] = region
    if kind:
        query["kind"] = kind
    return paginate(_coll(), query, descending=False, limit=limit, cursor=cursor)


def count() -> int:
    return _coll().estimated_document_count()


def of_kind_in_regions(kind: str, regions: list[str]) -> list[dict[str, Any]]:
    """Departments of KIND whose own region is one of REGIONS (e.g. the hotlines above a
    complaint's region)."""
    return list(_coll().find({"kind": kind, "region": {"$in": regions}}))


def in_region(region: str) -> dict[str, dict[str, Any]]:
    """Every department of REGION and below, by code (index region_path)."""
    return {doc["_id"]: doc for doc in _coll().find({"region_path": region})}
