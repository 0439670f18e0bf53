"""Every string a client sends has a maximum length, every list a maximum size and every map a
maximum number of keys, in its schema and so in OpenAPI; a request past them answers a short
422, not an error per item (an application with 10,000 materials once answered half a
megabyte of errors)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.applications.world import APPS, build_world
from tests.conftest import assert_envelope

# The one body that is bytes, not a string: bounded by ONEVISIT_MAX_UPLOAD_BYTES (413).
UNBOUNDED_BY_DESIGN = {"POST /api/v1/attachments body<Upload>.file"}
SELF_BOUNDED_FORMATS = {"date", "date-time", "uuid"}
SHORT_REPLY = 2048  # bytes


def unbounded_inputs(spec: dict[str, Any]) -> set[str]:
    """Where the document lets a client send a string, list or map without an upper bound."""
    components = spec["components"]["schemas"]
    found: set[str] = set()

    def walk(schema: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            seen, where, schema = seen | {name}, f"{where}<{name}>", components[name]
        if schema.get("readOnly"):
            return
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                walk(part, where, seen)
        kind = schema.get("type")
        if kind == "string" and not (
            "maxLength" in schema
            or "enum" in schema
            or schema.get("format") in SELF_BOUNDED_FORMATS
        ):
            found.add(where)
        if kind == "array":
            if "maxItems" not in schema:
                found.add(where)
            walk(schema.get("items", {}), f"{where}[]", seen)
        for name, part in schema.get("properties", {}).items():
            walk(part, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            if "maxProperties" not in schema:
                found.add(where)
            walk(extra, f"{where}.*", seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                if parameter.get("in") != "path":
                    walk(parameter.get("schema", {}), f"{label} ?{parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content.get("schema", {}), f"{label} body", frozenset())
    return found


def test_every_string_list_and_map_a_client_sends_has_a_documented_maximum(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert unbounded_inputs(spec) - UNBOUNDED_BY_DESIGN == set()


@pytest.fixture
def world(app, db, users):
    return build_world(app, db, users)


def short_422(response) -> dict[str, Any]:
    assert len(response.get_data()) < SHORT_REPLY, len(response.get_data())
    return assert_envelope(response, 422)


def test_ten_thousand_materials_answer_one_short_error_and_store_nothing(world, db):
    materials = [{"key": f"m{i}", "attachment_id": world.articles} for i in range(10_000)]
    error = short_422(world.applicant.post(APPS, json=world.body(materials=materials)))
    assert "materials" in str(error["errors"])
    assert db.applications.count_documents({}) == 0


def test_ten_thousand_form_keys_answer_one_short_error(world, db):
    form = {f"k{i}": "x" for i in range(10_000)}
    error = short_422(world.applicant.post(APPS, json=world.body(form=form)))
    assert "At most 50 keys" in str(error["errors"])
    assert db.applications.count_documents({}) == 0


def test_a_string_without_its_own_limit_is_bounded_too(users):
    # A department code has a pattern, no length of its own: the default bound applies.
    admin = users.admin()
    code = "A" * 5000
    response = admin.post(
        "/api/v1/admin/departments", json={"code": code, "name": "Long", "region": "330100"}
    )
    error = assert_envelope(response, 422)
    assert "code" in str(error["errors"])
