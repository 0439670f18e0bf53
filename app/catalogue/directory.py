"""Regions and departments: who exists where."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from app import audit, clock
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http import idempotency
from app.http.errors import Conflict, ValidationFailed


def create_department(data: dict[str, Any]) -> dict[str, Any]:
    region = regions_repo.get(data["region"])
    if region is None:
        raise ValidationFailed("Unknown region.", errors={"region": ["No such region."]})
    doc = {**data, "region_path": ancestors(data["region"]), "created_at": clock.now()}
    key = idempotency.current_key()
    if key:
        doc["idempotency_key"] = key
    try:
        departments_repo.insert(doc)
    except DuplicateKeyError as exc:
        existing = departments_repo.get(data["_id"])
        if key and existing and existing.get("idempotency_key") == key:
            return existing  # this request's earlier run created it, then died before replying
        raise Conflict(
            "A department with this code exists already.", errors={"code": ["Already exists."]}
        ) from exc
    audit.record(
        "department.create",
        "department",
        doc["_id"],
        after={k: doc[k] for k in ("name", "region", "kind")},
    )
    return doc
