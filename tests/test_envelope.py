"""Every failure answers with API.md's envelope and a request id; nothing leaks."""

import logging

import pytest

from tests.conftest import assert_envelope


def test_unknown_route_is_404_in_the_envelope(client):
    body = assert_envelope(client.get("/api/v1/no-such-thing"), 404)
    assert "errors" not in body


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/api/v1/auth/login")
    assert_envelope(response, 405)
    assert "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_413(client):
    response = client.post(
        "/api/v1/auth/login", data="x" * (1024 * 1024 + 10), content_type="application/json"
    )
    assert_envelope(response, 413)


def test_form_body_on_a_json_endpoint_is_415(client):
    response = client.post(
        "/api/v1/auth/login",
        data="phone=13800000001&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert_envelope(response, 415)


def test_invalid_json_is_400_with_a_reason(client):
    response = client.post("/api/v1/auth/login", data="{oops", content_type="application/json")
    body = assert_envelope(response, 400)
    assert body["errors"]["_body"] == ["Invalid JSON body."]


def test_unknown_body_fields_are_422_per_field(client):
    response = client.post(
        "/api/v1/auth/login", json={"phone": "13800000001", "password": "x", "role": "admin"}
    )
    body = assert_envelope(response, 422)
    assert body["errors"] == {"role": ["Unknown field."]}


@pytest.mark.parametrize("value", [{"$ne": None}, ["13800000001"], {"$gt": ""}, 13800000001])
def test_object_or_list_where_a_string_belongs_is_422(client, db, value):
    response = client.post("/api/v1/auth/login", json={"phone": value, "password": "x"})
    body = assert_envelope(response, 422)
    assert "phone" in body["errors"]


def test_list_instead_of_object_is_422(client):
    assert_envelope(client.post("/api/v1/auth/login", json=[1, 2]), 422)


def test_request_id_is_echoed_or_generated(client):
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-abc.123"})
    assert echoed.headers["X-Request-ID"] == "trace-abc.123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"})
    assert generated.headers["X-Request-ID"] != "bad id <script>"
    assert len(generated.headers["X-Request-ID"]) == 32


def test_unhandled_error_is_500_logged_with_traceback_never_leaked(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with caplog.at_level(logging.ERROR):
        response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    body = assert_envelope(response, 500)
    assert "hunter2" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert body["request_id"] == "req-500"
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and logged[0].exc_info is not None
    assert getattr(logged[0], "request_id", None) == "req-500"


def test_database_down_is_503_not_500_and_not_a_hang(db_server, tmp_path):
    from app import create_app
    from app.platform.embedded import free_port
    from tests.conftest import make_settings

    app = create_app(
        make_settings(
            db_server,
            tmp_path,
            mongo_uri=f"mongodb://127.0.0.1:{free_port()}/",
            mongo_timeout_ms=300,
        )
    )
    response = app.test_client().post(
        "/api/v1/auth/login",
        json={"phone": "13800000001", "password": "whatever1"},
        headers={"Accept-Language": "en"},
    )
    body = assert_envelope(response, 503)
    assert response.headers["Retry-After"]
    assert "unavailable" in body["message"]
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("unreachable")


def test_json_log_lines_carry_the_request_id(app, client, capsys):
    import json

    from app.logs import configure_logging

    configure_logging("INFO")
    client.get("/healthz", headers={"X-Request-ID": "log-me-1"})
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line["logger"] == "onevisit.access"]
    assert access and access[-1]["request_id"] == "log-me-1"
    assert access[-1]["status"] == 200 and "duration_ms" in access[-1]
