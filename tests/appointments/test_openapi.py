"""The OpenAPI document describes every appointment operation: who may call it, its errors,
and the If-Match / ETag of its transitions."""

PATHS = (
    "/api/v1/appointments",
    "/api/v1/me/appointments",
    "/api/v1/staff/appointments",
    "/api/v1/departments/{code}/slots",
    "/api/v1/departments/{code}/opening-hours",
    "/api/v1/admin/departments/{code}/opening-hours",
)


def _operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        if path.startswith(PATHS):
            for method, operation in item.items():
                if method != "parameters":
                    yield method, path, operation


def test_every_appointment_operation_is_documented(client):
    operations = list(_operations(client))
    assert len(operations) == 10
    for method, path, operation in operations:
        where = f"{method} {path}"
        assert operation.get("summary"), where
        public = path.startswith("/api/v1/departments/")
        if not public:
            assert operation["security"] == [{"bearerAuth": []}], where
            assert {"401", "403"} <= set(operation["responses"]), where
        if "{appointment_id}" in path or "{code}" in path:
            assert "404" in operation["responses"], where
        if method == "post" and path.endswith(("cancel", "check-in", "no-show")):
            names = {p["name"] for p in operation.get("parameters", [])}
            assert {"If-Match", "Idempotency-Key"} <= names, where
            assert {"409", "412"} <= set(operation["responses"]), where
            assert "ETag" in operation["responses"]["200"]["headers"], where
    booking = dict(((m, p), o) for m, p, o in operations)[("post", "/api/v1/appointments")]
    assert "409" in booking["responses"] and "201" in booking["responses"]
