"""Delegations (`delegations`) and dependants (`dependants`): the only code that queries them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import outbox, store
from app.db import collection
from app.pagination import Page, paginate

outbox.carried_by("delegations", "dependants")


def _delegations():
    return collection("delegations")


def _dependants():
    return collection("dependants")


def insert(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(_delegations(), doc, entries)


def get(delegation_id: ObjectId) -> dict[str, Any] | None:
    return _delegations().find_one({"_id": delegation_id})


def live_grants(grantor_id: ObjectId, grantee_phone: str, now: datetime) -> list[dict[str, Any]]:
    """GRANTOR's unrevoked, unexpired grants to GRANTEE_PHONE (index grantee_grantor; the
    few grants between two people are filtered here, not by an unindexed condition)."""
    found = _delegations().find({"grantee_phone": grantee_phone, "grantor_id": grantor_id})
    return [d for d in found if d.get("revoked_at") is None and d["expires_at"] > now]


def page_for(user_id: ObjectId, phone: str | None, limit: int, cursor: str | None) -> Page:
    """Grants I made and grants made to my phone number, newest first."""
    branches: list[dict[str, Any]] = [{"grantor_id": user_id}]
    if phone:
        branches.append({"grantee_phone": phone})
    return paginate(_delegations(), {"$or": branches}, limit=limit, cursor=cursor)


def revoke(delegation_id: ObjectId, at: datetime, entries: list[dict[str, Any]]) -> bool:
    """Compare-and-set: only a live grant is revoked, once, with its audit record."""
    return store.update(
        _delegations(),
        {"_id": delegation_id, "revoked_at": None},
        {"$set": {"revoked_at": at}},
        entries,
    )


def insert_dependant(doc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    return store.insert(_dependants(), doc, entries)


def get_dependant(dependant_id: ObjectId) -> dict[str, Any] | None:
    return _dependants().find_one({"_id": dependant_id})


def dependants_of(guardian_id: ObjectId) -> list[dict[str, Any]]:
    return list(_dependants().find({"guardian_id": guardian_id}).sort("_id", -1).limit(100))


def erase_for(user_id: ObjectId, phone: str | None, session: ClientSession) -> None:
    """A closed account: the grants it made or received and the dependants it registered go
    (the dependants' own cases keep their snapshots; nobody can act for them any more)."""
    branches: list[dict[str, Any]] = [{"grantor_id": user_id}]
    if phone:
        branches.append({"grantee_phone": phone})
    _delegations().delete_many({"$or": branches}, session=session)
    _dependants().delete_many({"guardian_id": user_id}, session=session)
