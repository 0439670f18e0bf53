"""Complaints (`complaints`): the queries of lists, repeat detection, sweeps and Open311.

Every query here is answered by an index of migrations/0021 covering its whole filter (no
`$or`: the embedded server would scan the collection for it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import store
from app.cases import inbox_heads
from app.db import EPOCH, collection, due_by
from app.pagination import Page, Windows, paginate

EARTH_RADIUS_M = 6378100.0


def coll() -> Collection[Any]:
    return collection("complaints")


def queue(complaint_id: ObjectId, entries: list[dict[str, Any]]) -> None:
    """Queue ENTRIES in the complaint's outbox without changing it (an audited read)."""
    store.update(coll(), {"_id": complaint_id}, {}, entries)


def get(complaint_id: ObjectId) -> dict[str, Any] | None:
    return coll().find_one({"_id": complaint_id})


def get_by_tracking_nos(tracking_nos: Iterable[str]) -> list[dict[str, Any]]:
    return list(coll().find({"tracking_no": {"$in": list(tracking_nos)}}))


def by_token(token: str) -> dict[str, Any] | None:
    return coll().find_one({"open311.token": token})


def page(
    scope_field: str,
    scope_value: Any,
    status: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page:
    """A newest-first page of one scope: complainant_id, department, hotline or region_path.
    A department's or region's history grows without bound: read it in windows back from
    NOW (app.pagination); one person's complaints are few, one plain read."""
    query: dict[str, Any] = {scope_field: scope_value}
    if status:
        query["status"] = status
    windows = None if scope_field == "complainant_id" else Windows(now)
    return paginate(coll(), query, limit=limit, cursor=cursor, windows=windows)


inbox_heads.register_queue(
    inbox_heads.Queue(
        "complaints:",
        "complaints",
        lambda key: {"open_department": key.split(":", 1)[1]},
        "due_at",
    )
)


def inbox_page(
    department: str,
    overdue: bool | None,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page:
    """Open complaints held by DEPARTMENT, earliest due first; OVERDUE compares due_at with
    NOW. One index range on (open_department, due_at): no status `$in` beside the range.
    Read in windows from the queue's head (app.cases.inbox_heads)."""
    query: dict[str, Any] = {"open_department": department}
    if overdue is True:
        query["due_at"] = {"$lt": now}
    elif overdue is False:
        query["due_at"] = {"$gte": now}
    key = f"complaints:{department}"
    return inbox_heads.queue_page(
        coll(),
        key,
        inbox_heads.read([key]).get(key),
        query,
        sort_field="due_at",
        limit=limit,
        cursor=cursor,
        now=now,
    )


def same_complainant_candidates(
    complainant_id: ObjectId, category: str, since: datetime
) -> list[dict[str, Any]]:
    query = {"complainant_id": complainant_id, "category": category, "created_at": {"$gte": since}}
    return list(coll().find(query, {"_id": 1, "tracking_no": 1, "created_at": 1}).limit(50))


def nearby_candidates(
    category: str,
    lng: float,
    lat: float,
    radius_m: float,
    since: datetime,
) -> list[dict[str, Any]]:
    """Complaints of CATEGORY within RADIUS_M of the point since SINCE ($geoWithin +
    $centerSphere on the 2dsphere index; the radius is in radians of the earth's radius)."""
    return list(coll().find(nearby_query(category, lng, lat, radius_m, since)).limit(50))


def nearby_query(
    category: str,
    lng: float,
    lat: float,
    radius_m: float,
    since: datetime,
) -> dict[str, Any]:
    return {
        "category": category,
        "location": {"$geoWithin": {"$centerSphere": [[lng, lat], radius_m / EARTH_RADIUS_M]}},
        "created_at": {"$gte": since},
    }


def repeats_of(complaint_id: ObjectId, limit: int = 50) -> list[dict[str, Any]]:
    return list(
        coll()
        .find({"repeat_of": complaint_id}, {"_id": 1, "tracking_no": 1, "created_at": 1})
        .sort("_id", 1)
        .limit(limit)
    )


def due_for_auto_close(now: datetime, batch: int) -> list[dict[str, Any]]:
    return list(
        coll()
        .find({"status": "resolved", "auto_close_at": due_by(now)})
        .sort("auto_close_at", 1)
        .limit(batch)
    )


def open311_query(
    *,
    start: datetime,
    end: datetime,
    service_code: str | None,
    states: Iterable[str] | None,
) -> dict[str, Any]:
    query: dict[str, Any] = {"open311_public": True, "created_at": {"$gte": start, "$lte": end}}
    if service_code:
        query["category"] = service_code
    if states is not None:
        query["status"] = {"$in": list(states)}
    return query


def open311_requests(query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return list(coll().find(query).sort("created_at", -1).limit(limit))


def anonymise_complainant(
    complainant_id: ObjectId, label: str, at: datetime, session: ClientSession
) -> int:
    """A closed account's complaints, kept: contact data gone, their timeline name replaced."""
    result = coll().update_many(
        {"complainant_id": complainant_id},
        {
            "$set": {
                "contact": None,
                "complainant_erased_at": at,
                "timeline.$[mine].actor.name": label,
            }
        },
        array_filters=[{"mine.actor.id": str(complainant_id)}],
        session=session,
    )
    return result.modified_count


def _retention_query(cutoff: datetime) -> dict[str, Any]:
    # Index retention_due (contact_erased_at, status, closed_at) covers the whole filter.
    return {
        "contact_erased_at": None,
        "status": "closed",
        "closed_at": {"$gte": EPOCH, "$lt": cutoff},
    }


def retention_due(cutoff: datetime, batch: int) -> list[dict[str, Any]]:
    """Closed complaints whose contact data are past their retention, not yet erased."""
    return list(coll().find(_retention_query(cutoff), {"parties": 1}).limit(batch))


def retention_due_count(cutoff: datetime) -> int:
    return coll().count_documents(_retention_query(cutoff))


def retention_next(cutoff: datetime) -> datetime | None:
    """When the next closed complaint (closed at or after CUTOFF) falls due: its closed_at."""
    found = (
        coll()
        .find(
            {"contact_erased_at": None, "status": "closed", "closed_at": {"$gte": cutoff}},
            {"closed_at": 1},
        )
        .sort("closed_at", 1)
        .limit(1)
    )
    for doc in found:
        return doc["closed_at"]
    return None


def retention_erased_count() -> int:
    return coll().count_documents({"contact_erased_at": {"$ne": None}})


def erase_contact(
    complaint_id: ObjectId, parties: list[dict[str, Any]], at: datetime, entries: list[dict]
) -> bool:
    """Erase one complaint's contact data, its audit record queued in the same write; a
    compare-and-set on contact_erased_at, so two workers erase (and audit) it once."""
    return store.update(
        coll(),
        {"_id": complaint_id, "contact_erased_at": None},
        {"$set": {"contact": None, "parties": parties, "contact_erased_at": at}},
        entries,
    )
