"""The OpenAPI document describes every catalogue and wallet operation for the app teams."""

import pytest


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def operation(spec, path, method):
    return spec["paths"][f"/api/v1{path}"][method]


@pytest.mark.parametrize(
    ("path", "codes"),
    [("/matters", {"200", "422"}), ("/matters/{code}", {"200", "404", "422"})],
)
def test_catalogue_reads_are_public_and_documented(spec, path, codes):
    op = operation(spec, path, "get")
    assert op["security"] == []
    assert codes <= set(op["responses"])


def test_admin_writes_document_auth_idempotency_etags_and_errors(spec):
    post = operation(spec, "/admin/matters", "post")
    assert post["security"] == [{"bearerAuth": []}]
    assert {"201", "401", "403", "409", "422"} <= set(post["responses"])
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    put = operation(spec, "/admin/matters/{code}", "put")
    assert put["security"] == [{"bearerAuth": []}]
    assert {"200", "401", "403", "404", "409", "412", "422"} <= set(put["responses"])
    assert "If-Match" in [p["name"] for p in put["parameters"]]


@pytest.mark.parametrize(
    "path",
    [
        "/me/certificates",
        "/me/certificates/{certificate_id}",
        "/me/certificates/{certificate_id}/access-log",
    ],
)
def test_wallet_operations_need_a_token_and_document_401(spec, path):
    op = operation(spec, path, "get")
    assert op["security"] == [{"bearerAuth": []}]
    assert "401" in op["responses"]
    if "{certificate_id}" in path:
        assert "404" in op["responses"]


def test_the_definition_schema_spells_out_field_types_and_certificate_types(spec):
    schemas = spec["components"]["schemas"]
    form_field = schemas["FormField"]["properties"]
    assert form_field["type"]["enum"] == [
        "string",
        "number",
        "integer",
        "boolean",
        "date",
        "choice",
    ]
    material = schemas["MatterMaterial"]["properties"]
    assert "resident_id_card" in material["certificate_type"]["enum"]
    assert schemas["TimeLimit"]["properties"]["unit"]["enum"] == ["hours", "working_days"]
