"""Service-item definitions for tests: the API.md example and a way to store one directly."""

from __future__ import annotations

import copy
from typing import Any

from bson import ObjectId

from app import clock, i18n
from app.catalogue import service as catalogue
from app.catalogue.regions import ancestors

COMPANY_SETUP: dict[str, Any] = {
    "code": "ZJ-COMPANY-SETUP",
    "name": "Company establishment registration",
    "name_zh": "企业开办",
    "category": "company",
    "audience": ["enterprise"],
    "region": "330100",
    "lead_department": "AMR-330100",
    "co_departments": ["TAX-330100", "SI-330100"],
    "materials": [
        {"key": "articles", "name": "Articles of association", "required": True},
        {
            "key": "legal_rep_id",
            "name": "Legal representative ID card",
            "required": True,
            "certificate_type": "resident_id_card",
        },
    ],
    "form": [
        {
            "key": "company_name",
            "label": "Proposed company name",
            "type": "string",
            "required": True,
            "max_length": 100,
        },
        {
            "key": "registered_capital",
            "label": "Registered capital (CNY)",
            "type": "number",
            "required": True,
            "min": 0,
        },
        {
            "key": "business_scope",
            "label": "Business scope",
            "type": "choice",
            "required": True,
            "choices": ["retail", "software", "catering", "manufacturing"],
        },
        {"key": "start_date", "label": "Start date", "type": "date", "required": False},
    ],
    "time_limit": {"value": 1, "unit": "working_days"},
    "max_visits": 0,
    "fee": 0,
    "delivery": ["electronic", "post"],
    "issues_certificate": "business_licence",
}


def definition(**overrides: Any) -> dict[str, Any]:
    """A deep copy of the company set-up definition with OVERRIDES applied."""
    return {**copy.deepcopy(COMPANY_SETUP), **overrides}


def store_matter(db: Any, version: int = 1, current: bool = True, **overrides: Any) -> dict:
    """Insert one version document straight into the database (bypassing the admin API's
    checks, e.g. of departments), listed and searchable like one the API stored."""
    doc = {
        "_id": ObjectId(),
        **definition(**overrides),
        "version": version,
        "current": current,
        "created_at": clock.now(),
        "created_by": None,
    }
    doc["region_path"] = ancestors(doc["region"])
    doc["name"] = i18n.names(doc["name"], doc.pop("name_zh", None))
    doc["search_keys"] = catalogue.search_keys(*doc["name"].values())
    doc["facets"] = catalogue.facets(doc)
    db.matters.insert_one(doc)
    return doc
