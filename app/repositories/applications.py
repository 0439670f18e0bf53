"""The `applications` collection: the only code that queries it. State changes go through
`app.workflow.apply` on `coll()`; this module holds the reads and the plain inserts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from app.db import collection
from app.pagination import Page, paginate


def coll() -> Collection[Any]:
    return collection("applications")


def insert(doc: dict[str, Any]) -> None:
    coll().insert_one(doc)


def get(application_id: ObjectId) -> dict[str, Any] | None:
    return coll().find_one({"_id": application_id})


def get_by_tracking_no(tracking_no: str) -> dict[str, Any] | None:
    return coll().find_one({"tracking_no": tracking_no})


def applicant_query(applicant_id: ObjectId, status: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"applicant_id": applicant_id}
    if status:
        query["status"] = status
    return query


def page_for_applicant(
    applicant_id: ObjectId, status: str | None, limit: int, cursor: str | None
) -> Page:
    """The applicant's own applications, newest first."""
    return paginate(coll(), applicant_query(applicant_id, status), limit=limit, cursor=cursor)


def inbox_query(keys: list[str], overdue: bool | None, now: datetime) -> dict[str, Any]:
    """Cases filed under any of KEYS (see application_workflow.inbox_keys). `inbox_at` is the
    due time of cases in review, so the overdue filter is a range on the same index."""
    query: dict[str, Any] = {"inbox_keys": {"$in": keys}}
    if overdue is True:
        query["inbox_at"] = {"$lt": now}
    elif overdue is False:
        query["inbox_at"] = {"$gte": now}
    return query


def inbox_page(
    keys: list[str], overdue: bool | None, now: datetime, limit: int, cursor: str | None
) -> Page:
    """Most urgent first: earliest inbox_at (due_at, or submitted_at awaiting acceptance)."""
    return paginate(
        coll(),
        inbox_query(keys, overdue, now),
        sort_field="inbox_at",
        descending=False,
        limit=limit,
        cursor=cursor,
    )


def set_certificate(application_id: ObjectId, certificate_id: ObjectId) -> None:
    coll().update_one({"_id": application_id}, {"$set": {"certificate_id": certificate_id}})
