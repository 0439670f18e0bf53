"""Regions and departments: who exists where."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from app import audit, clock, i18n
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http.errors import Conflict, ValidationFailed


def create_department(data: dict[str, Any]) -> dict[str, Any]:
    region = regions_repo.get(data["region"])
    if region is None:
        raise ValidationFailed("Unknown region.", errors={"region": ["No such region."]})
    doc = {
        **{k: v for k, v in data.items() if k != "name_zh"},
        "name": i18n.names(data["name"], data.get("name_zh")),
        "region_path": ancestors(data["region"]),
        "created_at": clock.now(),
    }
    entry = audit.entry(
        "department.create",
        "department",
        doc["_id"],
        after={k: doc[k] for k in ("name", "region", "kind")},
    )
    try:
        return departments_repo.insert(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            "A department with this code exists already.", errors={"code": ["Already exists."]}
        ) from exc
