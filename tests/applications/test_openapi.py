"""The generated OpenAPI document describes every application and inbox operation: who may
call it, its errors, and the headers the workflow relies on."""


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        if path.startswith(("/api/v1/applications", "/api/v1/staff/inbox")):
            for method, operation in item.items():
                if method != "parameters":
                    yield method, path, operation


def test_every_operation_is_documented_with_security_and_errors(client):
    operations = list(_operations(client))
    assert len(operations) == 19  # with payments, dispatch and delivery (issue 15), verification
    for method, path, operation in operations:
        where = f"{method} {path}"
        assert operation.get("summary"), where
        assert operation["security"] == [{"bearerAuth": []}], where
        assert {"401", "403"} <= set(operation["responses"]), where
        if "{application_id}" in path or "{tracking_no}" in path:
            assert "404" in operation["responses"], where
        takes_input = "requestBody" in operation or any(
            p["in"] == "query" for p in operation.get("parameters", [])
        )
        if takes_input:
            assert "422" in operation["responses"], where


def test_state_changes_document_if_match_409_412_and_the_etag(client):
    for method, path, operation in _operations(client):
        if method != "post" or path == "/api/v1/applications":
            continue
        names = {p["name"] for p in operation.get("parameters", [])}
        assert "If-Match" in names, path
        assert {"409", "412"} <= set(operation["responses"]), path
        success = operation["responses"].get("200") or operation["responses"]["201"]
        assert "ETag" in success["headers"], path


def test_every_post_takes_an_idempotency_key(client):
    """Creating POSTs and transitions alike: a retry finds what the first request wrote."""
    posts = [
        (path, op)
        for method, path, op in _operations(client)
        if method == "post"
        and path.startswith("/api/v1/applications")
        and "/materials/" not in path
    ]
    assert len(posts) >= 10
    for path, operation in posts:
        assert "Idempotency-Key" in {p["name"] for p in operation.get("parameters", [])}, path
