"""Bundles: their versions (like matters: one document per version, exactly one current) and
the bundle cases (their writes go through the case engine)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.client_session import ClientSession

from app import clock, outbox, store
from app.db import collection, get_client
from app.http import idempotency
from app.pagination import Page, paginate

outbox.carried_by("bundles")


def bundles():
    return collection("bundles")


def cases():
    return collection("bundle_applications")


# ---------------------------------------------------------------- bundle definitions


def get_current(code: str) -> dict[str, Any] | None:
    return bundles().find_one({"code": code, "current": True})


def get_version(code: str, version: int) -> dict[str, Any] | None:
    return bundles().find_one({"code": code, "version": version})


def insert_first(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Version 1 of a new code; DuplicateKeyError when the code exists already."""
    return store.insert(bundles(), doc, entries)


def replace_current(
    previous: dict[str, Any], doc: dict[str, Any], entries: list[dict[str, Any]]
) -> bool:
    """Make DOC the current version in one transaction (as app.catalogue.repository does)."""

    def swap(session: Any) -> bool:
        demoted = bundles().update_one(
            {"_id": previous["_id"], "current": True, "version": previous["version"]},
            {"$set": {"current": False}},
            session=session,
        )
        if demoted.modified_count != 1:
            session.abort_transaction()
            return False
        bundles().insert_one(
            {**doc, **outbox.fields_for_insert(entries, clock.now())}, session=session
        )
        return True

    with get_client().start_session() as session:
        return session.with_transaction(swap)


def list_current(
    audience: str | None, term: str | None, after_code: str | None, limit: int
) -> list[dict[str, Any]]:
    query: dict[str, Any] = {"current": True}
    if term:
        query["search_keys"] = term
    if after_code is not None:
        query["code"] = {"$gt": after_code}
    found = bundles().find(query, {"search_keys": 0}).sort("code", ASCENDING)
    # Few bundles exist (tens): the audience is checked on the code-ordered read.
    items = []
    for doc in found.batch_size(100):
        if audience is None or doc["audience"] == audience:
            items.append(doc)
            if len(items) > limit:
                break
    found.close()
    return items


# ---------------------------------------------------------------- bundle cases


def get_case(case_id: ObjectId, session: ClientSession | None = None) -> dict[str, Any] | None:
    return cases().find_one({"_id": case_id}, session=session)


def by_idempotency_key() -> dict[str, Any] | None:
    stamp = idempotency.current()
    return cases().find_one({idempotency.FIELD_KEY: stamp.key}) if stamp else None


def children(ids: list[ObjectId]) -> dict[ObjectId, dict[str, Any]]:
    if not ids:
        return {}
    found = collection("applications").find(
        {"_id": {"$in": ids}},
        {"status": 1, "tracking_no": 1, "due_at": 1, "timeline": 1, "matter.code": 1},
    )
    return {doc["_id"]: doc for doc in found}


def anonymise_applicant(
    applicant_id: ObjectId, label: str, at: datetime, session: ClientSession
) -> int:
    """A closed account's bundle cases, kept as their children are (app.applications.
    repository.anonymise_applicant): the applicant snapshot loses its name, phone and ID
    number, the timeline entries they made their name, and the postal address a child still
    waiting to be filed keeps in its plan goes (index applicant on applicant_id)."""
    result = cases().update_many(
        {"applicant_id": applicant_id},
        {
            "$set": {
                "applicant.name": label,
                "applicant.phone": None,
                "applicant.id_number": None,
                "applicant.erased_at": at,
                "timeline.$[mine].actor.name": label,
                "children.$[posted].plan.delivery_address.name": label,
                "children.$[posted].plan.delivery_address.phone": None,
                "children.$[posted].plan.delivery_address.address": None,
            }
        },
        array_filters=[
            {"mine.actor.id": str(applicant_id)},
            {"posted.plan.delivery_address": {"$type": "object"}},
        ],
        session=session,
    )
    return result.modified_count


def page(query: dict[str, Any], limit: int, cursor: str | None) -> Page:
    """Bundle cases matching QUERY (one indexed equality), newest first."""
    return paginate(cases(), query, limit=limit, cursor=cursor)
