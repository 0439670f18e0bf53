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
