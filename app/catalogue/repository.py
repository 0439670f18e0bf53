"""Service items (matters): one document per version, exactly one of them `current`."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.cursor import Cursor

from app import clock, outbox, store
from app.catalogue import list_cache
from app.db import collection, get_client


def _coll():
    return collection("matters")


def get_current(code: str) -> dict[str, Any] | None:
    """The version new applications are submitted under, or None for an unknown code."""
    return _coll().find_one({"code": code, "current": True})


def get_version(code: str, version: int) -> dict[str, Any] | None:
    """One exact version (applications keep the version they were submitted under)."""
    return _coll().find_one({"code": code, "version": version})


outbox.carried_by("matters")


def insert_first(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Version 1 of a new code; DuplicateKeyError when the code exists already."""
    saved = store.insert(_coll(), doc, entries)
    list_cache.bump()
    return saved


def replace_current(
    previous: dict[str, Any], doc: dict[str, Any], entries: list[dict[str, Any]]
) -> bool:
    """Make DOC (version previous+1) the current one, in one transaction so readers always see
    exactly one current version. False when PREVIOUS is no longer current (a concurrent save
    won); DuplicateKeyError when another save already took DOC's version number."""

    def swap(session: Any) -> bool:
        demoted = _coll().update_one(
            {"_id": previous["_id"], "current": True, "version": previous["version"]},
            {"$set": {"current": False}},
            session=session,
        )
        if demoted.modified_count != 1:
            session.abort_transaction()
            return False
        _coll().insert_one(
            {**doc, **outbox.fields_for_insert(entries, clock.now())}, session=session
        )
        return True

    with get_client().start_session() as session:
        swapped = session.with_transaction(swap)
    if swapped:
        list_cache.bump()
    return swapped


# Listing: both read current versions in code order from an index whose leading fields are
# exactly the filter's (current, key) equalities followed by the code range of the cursor.
# Only what a summary shows (schemas.matters.MatterSummarySchema) and the facets the search
# filters on: a definition's forms and materials are most of its bytes.
_LISTED = {
    field: 1
    for field in (
        "code",
        "version",
        "name",
        "category",
        "audience",
        "region",
        "lead_department",
        "time_limit",
        "max_visits",
        "fee",
        "issues_certificate",
        "facets",
    )
}


def current_by_facet(facet: str, after_code: str | None, limit: int) -> Cursor[Any]:
    query: dict[str, Any] = {"current": True, "facets": facet}
    if after_code is not None:
        query["code"] = {"$gt": after_code}
    return _coll().find(query, _LISTED).sort("code", ASCENDING).limit(limit)


def current_by_search_key(term: str, after_code: str | None) -> Cursor[Any]:
    query: dict[str, Any] = {"current": True, "search_keys": term}
    if after_code is not None:
        query["code"] = {"$gt": after_code}
    return _coll().find(query, _LISTED).sort("code", ASCENDING).batch_size(100)
