"""Every oversight operation is in the OpenAPI document with its security, errors and schemas."""

from __future__ import annotations

OPERATIONS = {
    ("get", "/api/v1/me/notifications"): "user",
    ("get", "/api/v1/me/notifications/unread-count"): "user",
    ("post", "/api/v1/me/notifications/{notification_id}/read"): "user",
    ("post", "/api/v1/me/notifications/read-all"): "user",
    ("get", "/api/v1/supervision/feed"): "supervisor",
    ("get", "/api/v1/supervision/stream"): "supervisor",
    ("get", "/api/v1/supervision/events/{event_id}"): "supervisor",
    ("post", "/api/v1/supervision/events/{event_id}/ack"): "supervisor",
    ("post", "/api/v1/supervision/events/{event_id}/notes"): "supervisor",
    ("post", "/api/v1/supervision/events/{event_id}/close"): "supervisor",
    ("post", "/api/v1/supervision/reports"): "user",
    ("get", "/api/v1/stats/overview"): "supervisor",
    ("get", "/api/v1/stats/departments"): "supervisor",
    ("get", "/api/v1/public/stats"): None,
}


def test_oversight_operations_are_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for (method, path), who in OPERATIONS.items():
        operation = spec["paths"][path][method]
        responses = operation["responses"]
        assert operation.get("summary"), (method, path)
        success = next(code for code in responses if code.startswith("2"))
        assert responses[success].get("content") or responses[success].get("description")
        if who is None:
            assert operation["security"] == [], path
            assert "422" in responses
            continue
        assert operation["security"] == [{"bearerAuth": []}], path
        assert {"401", "403"} <= set(responses), path
        if who == "supervisor":
            assert operation["x-roles"] == ["supervisor"], path
    for path in (
        "/api/v1/supervision/events/{event_id}/ack",
        "/api/v1/supervision/events/{event_id}/close",
    ):
        operation = spec["paths"][path]["post"]
        assert {"404", "409", "412"} <= set(operation["responses"])
        assert any(p["name"] == "If-Match" for p in operation["parameters"])
    stream_path = spec["paths"]["/api/v1/supervision/stream"]
    stream = stream_path["get"]
    assert "text/event-stream" in stream["responses"]["200"]["content"]
    parameters = stream_path.get("parameters", []) + stream["parameters"]
    assert any(p["name"] == "Last-Event-ID" and p["in"] == "header" for p in parameters)
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    assert {"region", "type", "department"} <= set(query)
    assert "bad_rating" in query["type"]["schema"]["enum"]
    report = spec["paths"]["/api/v1/supervision/reports"]["post"]
    assert {"201", "422", "429"} <= set(report["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in report["parameters"])
