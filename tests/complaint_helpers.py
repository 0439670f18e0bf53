"""Shared set-up for complaint tests: a hotline, a department, a mediation centre, two
categories, and a frozen Monday morning (Beijing time) to count working days from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app import clock
from app.complaints import categories as complaint_categories
from tests.conftest import ensure_department

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Hangzhou
HOTLINE = "HOTLINE-330100"
AMR = "AMR-330100"
MEDIATION = "MED-330100"
WEST_LAKE = {"lat": 30.2590, "lng": 120.1300, "address": "1 Beishan Rd"}

NOISE = {
    "code": "noise",
    "name": "Noise nuisance",
    "description": "Noise at night",
    "time_limit_days": 4,
    "default_department": HOTLINE,
    "questions": [
        {
            "code": "noise_source",
            "datatype": "singlevaluelist",
            "required": True,
            "description": "Source of the noise",
            "values": [
                {"key": "construction", "name": "Construction site"},
                {"key": "bar", "name": "Bar"},
            ],
        },
        {"code": "details", "datatype": "text", "required": False, "description": "Details"},
    ],
}
NEIGHBOUR = {
    "code": "neighbour_dispute",
    "name": "Neighbour dispute",
    "description": "Disputes between neighbours",
    "time_limit_days": 5,
    "default_department": MEDIATION,
    "questions": [],
}


def setup(app, *, today: datetime = MONDAY) -> None:
    clock.freeze(today)
    with app.app_context():
        ensure_department(HOTLINE, "330100", "hotline")
        ensure_department(AMR, "330100", "government")
        ensure_department(MEDIATION, "330100", "mediation")
        ensure_department("TAX-330100", "330100", "government")
        for category in (NOISE, NEIGHBOUR):
            complaint_categories.create(category)


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "complaint",
        "category": "noise",
        "title": "Construction at night",
        "description": "Piling after midnight every day this week.",
        "location": dict(WEST_LAKE),
        "region": "330100",
    }
    data.update(overrides)
    return data


def dispute_body(**overrides: Any) -> dict[str, Any]:
    return body(
        kind="dispute",
        category="neighbour_dispute",
        title="Water leaking from upstairs",
        description="The flat above leaks into my kitchen.",
        parties=[{"name": "Li Hua", "role": "respondent", "contact": "13912345678"}],
        **overrides,
    )


def file(api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/complaints", json=body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(api, complaint: dict[str, Any] | str, action: str, json: Any = None, **kw: Any):
    cid = complaint if isinstance(complaint, str) else complaint["id"]
    return api.post(f"/api/v1/complaints/{cid}/{action}", json=json, **kw)


def ok(response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def database(app):
    """The test database, without keeping an app context pushed for the whole test."""
    from app.db import get_db

    with app.app_context():
        return get_db()
