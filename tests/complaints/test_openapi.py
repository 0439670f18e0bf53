"""Every complaint operation is in the OpenAPI document with its security, errors and schemas."""

PROTECTED = {
    ("/api/v1/complaints", "post"),
    ("/api/v1/complaints", "get"),
    ("/api/v1/complaints/{complaint_id}", "get"),
    ("/api/v1/admin/complaint-categories", "post"),
    ("/api/v1/admin/complaint-categories/{code}", "put"),
    ("/api/v1/admin/open311/keys", "post"),
    ("/api/v1/admin/open311/keys/{key_id}", "delete"),
} | {
    (f"/api/v1/complaints/{{complaint_id}}/{action}", "post")
    for action in (
        "assign",
        "refuse",
        "take",
        "sessions",
        "reply",
        "resolve",
        "confirm",
        "reopen",
        "rating",
    )
}


def test_complaint_operations_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, method in PROTECTED:
        operation = spec["paths"][path][method]
        assert operation["security"] == [{"bearerAuth": []}], path
        assert {"401", "403"} <= set(operation["responses"]), path
        assert operation.get("summary"), path
    for action in ("assign", "refuse", "resolve", "reopen", "rating"):
        operation = spec["paths"][f"/api/v1/complaints/{{complaint_id}}/{action}"]["post"]
        assert {"404", "409", "412", "422"} <= set(operation["responses"]), action
        assert "requestBody" in operation, action
        assert any(p["name"] == "If-Match" for p in operation["parameters"]), action
    create = spec["paths"]["/api/v1/complaints"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "201" in create["responses"]
    public = spec["paths"]["/api/v1/complaint-categories"]["get"]
    assert public["security"] == []
    assert "Complaint" in spec["components"]["schemas"]
