"""The queries of rectifications (the cases bad ratings open) and the one write they make on
the rated application (its rating taken out of the KPIs after an upheld appeal)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app.db import collection
from app.pagination import Page, paginate

COLLECTION = "rectifications"


def coll() -> Collection[Any]:
    return collection(COLLECTION)


def get(rectification_id: ObjectId) -> dict[str, Any] | None:
    return coll().find_one({"_id": rectification_id})


def exists(rectification_id: ObjectId, session: ClientSession) -> bool:
    return coll().find_one({"_id": rectification_id}, {"_id": 1}, session=session) is not None


def inbox_page(
    department: str, overdue: bool | None, now: datetime, limit: int, cursor: str | None
) -> Page:
    """DEPARTMENT's rectifications awaiting its heads, earliest due first (index inbox)."""
    query: dict[str, Any] = {"inbox_department": department}
    if overdue is True:
        query["due_at"] = {"$lt": now}
    elif overdue is False:
        query["due_at"] = {"$gte": now}
    return paginate(
        coll(), query, sort_field="due_at", descending=False, limit=limit, cursor=cursor
    )


def exclude_rating(application_id: ObjectId, rectification_id: ObjectId, session: Any) -> None:
    """Mark the application's rating as taken out of the KPIs (the rating the appeal was
    about: a later re-rating is never excluded, as an upheld appeal closes the rectification)."""
    collection("applications").update_one(
        {"_id": application_id, "rating.rectification_id": rectification_id},
        {"$set": {"rating.excluded": True}},
        session=session,
    )


def rated_applications_between(
    region: str, first: datetime, last: datetime
) -> list[dict[str, Any]]:
    """Applications of REGION rated in [FIRST, LAST) at a named window (index rated_window)."""
    return list(
        collection("applications").find(
            {
                "region_path": region,
                "rating.at": {"$gte": first, "$lt": last},
                "rating.window": {"$ne": None},
                "rating.excluded": {"$ne": True},
            },
            {"rating": 1, "department": 1, "completed_at": 1, "due_at": 1, "status": 1},
        )
    )


def every() -> Any:
    return coll().find({}, batch_size=1000)


def statuses(ids: list[ObjectId]) -> dict[ObjectId, str]:
    """The status of each rectification of IDS."""
    if not ids:
        return {}
    return {d["_id"]: d["status"] for d in coll().find({"_id": {"$in": ids}}, {"status": 1})}
