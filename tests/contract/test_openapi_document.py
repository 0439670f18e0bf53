"""The OpenAPI document generated clients are built from: every operation named, described,
and declaring every status and header it can answer with (issue 13, items 1, 2 and 4)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

METHODS = ("get", "put", "post", "patch", "delete")
CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]+$")


@pytest.fixture
def spec(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_every_operation_has_a_unique_operation_id_in_camel_case(spec):
    ids = [op.get("operationId") for _, _, op in _operations(spec)]
    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(CAMEL.match(i) for i in ids), [i for i in ids if not CAMEL.match(i)]


def test_operation_ids_use_the_domains_words(spec):
    named = {(m, p): op["operationId"] for m, p, op in _operations(spec)}
    assert named[("post", "/api/v1/applications")] == "submitApplication"
    assert named[("post", "/api/v1/applications/{application_id}/accept")] == "acceptApplication"
    assert named[("get", "/api/v1/staff/inbox")] == "listStaffInbox"
    assert named[("post", "/api/v1/complaints/{complaint_id}/resolve")] == "resolveComplaint"


def test_every_error_status_is_declared_with_the_envelope_and_every_response_its_request_id(
    spec,
):
    for method, path, op in _operations(spec):
        for code, response in op["responses"].items():
            if code == "default":
                continue
            if int(code) >= 400 and path != "/readyz":  # readiness answers its report
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            assert "X-Request-ID" in response["headers"], (method, path, code)
            if code in ("429", "503"):
                assert "Retry-After" in response["headers"], (method, path, code)


def test_every_operation_taking_a_body_declares_413_415_and_422(spec):
    bodies = [(m, p, op) for m, p, op in _operations(spec) if "requestBody" in op]
    assert len(bodies) > 30
    for method, path, op in bodies:
        assert {"413", "415", "422"} <= set(op["responses"]), (method, path)


def test_rate_limited_and_streaming_operations_declare_retry_after(spec):
    paths = spec["paths"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/supervision/reports"):
        assert "Retry-After" in paths[path]["post"]["responses"]["429"]["headers"]
    stream = paths["/api/v1/supervision/stream"]["get"]["responses"]["503"]
    assert "Retry-After" in stream["headers"]
    login_401 = paths["/api/v1/auth/login"]["post"]["responses"]["401"]
    assert login_401["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_every_operation_says_who_may_call_it_and_public_ones_need_no_token(spec):
    for method, path, op in _operations(spec):
        assert "\n" not in op["summary"], (method, path)
        assert "**Who may call it:**" in op["description"], (method, path)
        assert "security" in op, (method, path)
    public = spec["paths"]["/api/v1/matters"]["get"]
    assert public["security"] == []
    assert "anyone" in public["description"]
    accept = spec["paths"]["/api/v1/applications/{application_id}/accept"]["post"]
    assert "staff" in accept["description"]
    assert "`412`" in accept["description"]


def test_the_envelopes_errors_have_a_declared_recursive_shape(spec):
    schemas = spec["components"]["schemas"]
    errors = schemas["Error"]["properties"]["errors"]
    assert errors["allOf"] == [{"$ref": "#/components/schemas/FieldErrors"}]
    nested = schemas["FieldErrors"]["additionalProperties"]["anyOf"]
    assert {"type": "array", "items": {"type": "string"}} in nested
    assert {"$ref": "#/components/schemas/FieldErrors"} in nested


def test_a_material_is_one_of_three_named_shapes(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["MaterialRef"]["oneOf"] == [
        {"$ref": "#/components/schemas/AttachmentMaterialRef"},
        {"$ref": "#/components/schemas/WalletMaterialRef"},
        {"$ref": "#/components/schemas/CommitmentMaterialRef"},
    ]
    assert schemas["AttachmentMaterialRef"]["required"] == ["key", "attachment_id"]
    assert schemas["WalletMaterialRef"]["required"] == ["key", "certificate_id"]
    assert schemas["CommitmentMaterialRef"]["required"] == ["key", "commitment"]


def test_nullable_objects_and_enums_are_one_type_beside_null(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["Application"]["properties"]["rating"]["anyOf"] == [
        {"$ref": "#/components/schemas/RatingView"},
        {"type": "null"},
    ]
    for name in ("Matter", "MatterSummary", "MatterUpdate"):
        prop = schemas[name]["properties"]["issues_certificate"]
        assert prop["anyOf"][0] == {"$ref": "#/components/schemas/CertificateType"}, name
    assert "rating" in schemas["Application"]["required"]


def test_request_fields_say_their_defaults_in_words_so_clients_may_leave_them_out(spec):
    # openapi-typescript types a property with a `default` as always present: a generated
    # client would have to send every field the server defaults.
    schemas = spec["components"]["schemas"]
    requests = [s for s in schemas.values() if "Defaults to" in json.dumps(s)]
    assert requests
    for schema in requests:
        for prop in schema.get("properties", {}).values():
            assert "default" not in prop, prop
    created = schemas["ApplicationCreate"]
    assert "delivery_address" not in created["required"]
    assert "Defaults to `null`" in created["properties"]["delivery_address"]["description"]
    assert (
        'Defaults to `"case"`'
        in schemas["ApplicationRating"]["properties"]["target"]["description"]
    )
