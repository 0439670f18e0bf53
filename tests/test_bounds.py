"""Every integer and number a request carries has bounds, in its schema and in the document:
a value beyond them is a 422 (or a 404 for a path) in the envelope, never a 500 from pymongo
failing to encode an integer wider than 64 bits."""

from __future__ import annotations

from typing import Any

import pytest

from app.catalogue.forms import validate_form
from app.http.errors import ValidationFailed
from tests import complaint_helpers
from tests.conftest import assert_envelope
from tests.matters import definition, store_matter

HUGE = 99999999999999999999  # beyond int64: pymongo raises OverflowError on it


def test_a_matter_version_beyond_64_bits_is_a_422(client, db):
    store_matter(db)
    response = client.get(f"/api/v1/matters/ZJ-COMPANY-SETUP?version={HUGE}")
    body = assert_envelope(response, 422)
    assert "version" in str(body["errors"])


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/matters?limit={HUGE}",
        "/api/v1/matters?limit=0",
        f"/api/v1/matters?max_visits={HUGE}",
        f"/api/v1/matters?max_visits=-{HUGE}",
        f"/api/v1/departments?limit={HUGE}",
    ],
)
def test_query_integers_beyond_their_bounds_are_422(client, path):
    assert_envelope(client.get(path), 422)


def test_a_fee_beyond_its_bound_is_a_422_and_nothing_is_stored(users, db):
    admin = users.admin()
    response = admin.post("/api/v1/admin/matters", json=definition(fee=HUGE))
    assert "fee" in str(assert_envelope(response, 422)["errors"])
    assert db.matters.count_documents({}) == 0


def test_form_bounds_beyond_their_bound_are_a_422(users, db):
    admin = users.admin()
    form = [{"key": "n", "label": "N", "type": "integer", "min": -HUGE, "max": HUGE}]
    response = admin.post("/api/v1/admin/matters", json=definition(form=form))
    assert_envelope(response, 422)
    assert db.matters.count_documents({}) == 0


def test_an_integer_form_value_wider_than_64_bits_is_refused():
    form = [{"key": "n", "label": "N", "type": "integer", "required": True}]
    assert validate_form(form, {"n": 2**63 - 1}) == {"n": 2**63 - 1}
    with pytest.raises(ValidationFailed) as refused:
        validate_form(form, {"n": 2**63})
    assert "n" in str(refused.value.errors)


def test_coordinates_beyond_the_globe_are_a_422(app, users, db):
    complaint_helpers.setup(app)
    resident = users.resident()
    body = complaint_helpers.body(location={"lat": HUGE, "lng": 120.0})
    response = resident.post("/api/v1/complaints", json=body)
    assert_envelope(response, 422)
    assert db.complaints.count_documents({}) == 0


def test_a_calendar_year_outside_its_bounds_is_a_404_in_the_envelope(users):
    admin = users.admin()
    assert admin.get("/api/v1/admin/calendar/2026").status_code == 200
    assert_envelope(admin.get(f"/api/v1/admin/calendar/{HUGE}"), 404)
    assert_envelope(admin.get("/api/v1/admin/calendar/1999"), 404)


def _numbers(schema: Any, spec: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Paths of integer/number fields without both bounds under SCHEMA (request side)."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _numbers(spec["components"]["schemas"][name], spec, where, seen | {name})
    missing = []
    if schema.get("type") in ("integer", "number") and not schema.get("readOnly"):
        if "minimum" not in schema or "maximum" not in schema:
            missing.append(where)
    for key, sub in (schema.get("properties") or {}).items():
        missing += _numbers(sub, spec, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        missing += _numbers(schema.get(key), spec, f"{where}[]", seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key) or []:
            missing += _numbers(sub, spec, where, seen)
    return missing


def test_every_integer_and_number_a_request_carries_is_bounded_in_the_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    missing: list[str] = []
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in [*shared, *operation.get("parameters", [])]:
                where = f"{method.upper()} {path} {parameter['in']}:{parameter['name']}"
                missing += _numbers(parameter.get("schema"), spec, where, set())
            for media in (operation.get("requestBody") or {}).get("content", {}).values():
                missing += _numbers(media.get("schema"), spec, f"{method.upper()} {path}", set())
    assert not missing, missing
