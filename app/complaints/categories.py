"""Complaint categories: a managed list, each with its time limit in working days, its
default department and its questions (the Open311 service attributes)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pymongo.errors import DuplicateKeyError

from app import audit, clock
from app.catalogue import departments_repository as departments_repo
from app.complaints import categories_repository as repo
from app.http.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from app.pagination import Page

LIST_TYPES = ("singlevaluelist", "multivaluelist")


def default_days() -> int:
    return current_app.extensions["settings"].rules.complaint_default_days


def time_limit(category: dict[str, Any]) -> dict[str, Any]:
    return {"value": int(category["time_limit_days"]), "unit": "working_days"}


def get(code: str) -> dict[str, Any]:
    doc = repo.get(code)
    if doc is None or not doc.get("active", True):
        raise NotFound("No such complaint category.")
    return doc


def list_active() -> list[dict[str, Any]]:
    return repo.all_categories(active_only=True)


def page_active(limit: int, cursor: str | None) -> Page:
    return repo.page_active(limit, cursor)


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    dept = departments_repo.get(data["default_department"])
    if dept is None:
        raise ValidationFailed(
            "Unknown default department.",
            errors={"default_department": ["No such department."]},
        )
    seen: set[str] = set()
    for index, question in enumerate(data.get("questions") or []):
        if question["code"] in seen:
            raise ValidationFailed(
                "Question codes must be unique.",
                errors={"questions": {str(index): {"code": ["Duplicate code."]}}},
            )
        seen.add(question["code"])
        has_values = bool(question.get("values"))
        if (question["datatype"] in LIST_TYPES) != has_values:
            raise ValidationFailed(
                "List questions need values; other questions must not have any.",
                errors={"questions": {str(index): {"values": ["Values do not fit the datatype."]}}},
            )
    return {
        "name": data["name"],
        "name_zh": data.get("name_zh"),
        "description": data.get("description") or "",
        "group": data.get("group"),
        "keywords": list(data.get("keywords") or []),
        "time_limit_days": int(data.get("time_limit_days") or default_days()),
        "default_department": data["default_department"],
        "questions": [
            {k: v for k, v in q.items() if v is not None} for q in data.get("questions") or []
        ],
        "active": data.get("active", True),
    }


def create(data: dict[str, Any]) -> dict[str, Any]:
    now = clock.now()
    doc = {"_id": data["code"], **_validated(data), "version": 1, "created_at": now}
    doc["updated_at"] = now
    entry = audit.entry(
        "complaint_category.create", "complaint_category", doc["_id"], after=_brief(doc)
    )
    try:
        return repo.insert(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            "A category with this code exists already.", errors={"code": ["Already exists."]}
        ) from exc


def update(code: str, data: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    current = repo.get(code)
    if current is None:
        raise NotFound("No such complaint category.")
    if expected_version is not None and expected_version != current["version"]:
        raise PreconditionFailed("The category changed since you read it; reload and retry.")
    doc = {
        "_id": code,
        **_validated(data),
        "version": current["version"] + 1,
        "created_at": current["created_at"],
        "updated_at": clock.now(),
    }
    entry = audit.entry(
        "complaint_category.update",
        "complaint_category",
        code,
        before=_brief(current),
        after=_brief(doc),
    )
    if not repo.replace(code, current["version"], doc, [entry]):
        raise Conflict("Someone else changed this category at the same moment; retry.")
    return doc


def _brief(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": doc["name"],
        "time_limit_days": doc["time_limit_days"],
        "default_department": doc["default_department"],
        "questions": len(doc["questions"]),
        "active": doc.get("active", True),
    }


def seed(entries: list[dict[str, Any]]) -> None:
    """Demo data: insert the categories that are not there yet."""
    for entry in entries:
        if repo.get(entry["code"]) is None:
            create(
                {
                    "code": entry["code"],
                    "name": entry["name"],
                    "name_zh": entry.get("name_zh"),
                    "description": entry.get("description"),
                    "time_limit_days": entry.get("time_limit_days"),
                    "default_department": entry["default_department"],
                    "questions": entry.get("questions") or [],
                }
            )
