"""Probes and the OpenAPI document the app teams generate their clients from."""

from app.platform import migrate


def test_liveness_needs_nothing(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_ready_when_database_answers_and_migrations_are_applied(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"


def test_not_ready_while_a_migration_is_pending(client, db):
    migrate.downgrade(db, 2)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "0003_events_notifications" in response.get_json()["checks"]["migrations"]["pending"]


def test_openapi_document_describes_security_errors_and_schemas(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "Error" in spec["components"]["schemas"]
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert {"401", "403"} <= set(me["responses"])
    audit = spec["paths"]["/api/v1/admin/audit"]["get"]
    assert audit["x-roles"] == ["admin"]
    register = spec["paths"]["/api/v1/auth/register"]["post"]
    assert register["security"] == []
    assert {"201", "409", "422"} <= set(register["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in register["parameters"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("summary"), (method, path)
            if operation.get("security") == [{"bearerAuth": []}]:
                assert "401" in operation["responses"], (method, path)


def test_docs_ui_is_served_without_a_cdn(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger" in page.data.lower()
    assert b"cdn." not in page.data
    assert client.get("/api/v1/docs/static/swagger-ui-bundle.js").status_code == 200
