"""Appointment response models list their required fields (issue 13, item 3), so generated
clients type them as always present."""

import pytest


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("Appointment", {"id", "department", "start", "status", "case", "version", "timeline"}),
        ("Slot", {"start", "end", "capacity", "available"}),
        ("SlotPage", {"items", "next_cursor"}),
        ("OpeningHoursView", {"department", "slot_minutes", "capacity", "hours"}),
        ("CaseLink", {"kind", "id", "tracking_no"}),
    ],
)
def test_appointment_models_list_their_required_fields(client, model, fields):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert fields <= set(schemas[model].get("required", []))


def test_the_matter_model_lists_its_required_fields(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    required = set(schemas["Matter"].get("required", []))
    assert {"code", "name", "version", "current", "materials", "form", "description"} <= required


def test_a_matter_without_a_description_sends_it_as_null(client, db):
    from tests.matters import store_matter

    store_matter(db)
    body = client.get("/api/v1/matters/ZJ-COMPANY-SETUP").get_json()
    assert body["description"] is None and body["issues_certificate"] == "business_licence"
