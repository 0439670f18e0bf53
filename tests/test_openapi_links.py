"""OpenAPI links: each creating operation (and each list) leads to the operations that use
the id it answers with, by operationId when the target has one, else by operationRef; the
stateful phase of `make fuzz` follows them."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.http import links


def _spec(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def _resolve_ref(spec: dict[str, Any], ref: str) -> tuple[str, str]:
    path, method = ref.removeprefix("#/paths/").rsplit("/", 1)
    return path.replace("~1", "/").replace("~0", "~"), method


def _by_operation_id(spec: dict[str, Any], operation_id: str) -> tuple[str, str]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, method
    raise AssertionError(f"no operation {operation_id}")


def _target(spec: dict[str, Any], link: dict[str, Any]) -> tuple[str, str]:
    if "operationId" in link:
        return _by_operation_id(spec, link["operationId"])
    return _resolve_ref(spec, link["operationRef"])


def _targets(spec, path, method, status) -> dict[str, tuple[str, str]]:
    found = {}
    for name, link in spec["paths"][path][method]["responses"][status]["links"].items():
        found[name] = _target(spec, link)
    return found


def test_a_submitted_application_links_to_every_action_on_it(client):
    spec = _spec(client)
    targets = _targets(spec, "/api/v1/applications", "post", "201")
    base = "/api/v1/applications/{application_id}"
    for action in ("accept", "supplements", "rating", "withdraw", "reject", "visits"):
        assert (f"{base}/{action}", "post") in targets.values(), action
    assert (f"{base}/reviews/{{department_code}}", "post") in targets.values()
    review = spec["paths"]["/api/v1/applications"]["post"]["responses"]["201"]["links"]["Review"]
    assert review["parameters"] == {
        "application_id": "$response.body#/id",
        "department_code": "$response.body#/reviews/0/department",
    }


def test_complaints_and_events_link_to_their_transitions_and_follow_up(client):
    spec = _spec(client)
    complaint = _targets(spec, "/api/v1/complaints", "post", "201")
    for action in ("assign", "take", "reply", "resolve", "confirm", "reopen", "rating"):
        assert (f"/api/v1/complaints/{{complaint_id}}/{action}", "post") in complaint.values()
    for path, method, status in (
        ("/api/v1/supervision/reports", "post", "201"),
        ("/api/v1/supervision/feed", "get", "200"),
    ):
        event = _targets(spec, path, method, status)
        for action in ("ack", "notes", "close"):
            assert (f"/api/v1/supervision/events/{{event_id}}/{action}", "post") in event.values()
    appointment = _targets(spec, "/api/v1/appointments", "post", "201")
    for action in ("cancel", "check-in", "no-show"):
        path = f"/api/v1/appointments/{{appointment_id}}/{action}"
        assert (path, "post") in appointment.values()
    attachment = _targets(spec, "/api/v1/attachments", "post", "201")
    assert list(attachment.values()) == [("/api/v1/attachments/{attachment_id}", "get")]


def test_every_link_names_an_operation_of_the_document_and_its_parameters(client):
    spec = _spec(client)
    count = 0
    for item in spec["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            assert links.MARKER not in operation
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    count += 1
                    path, method = _target(spec, link)
                    shared = spec["paths"][path].get("parameters", [])
                    target = spec["paths"][path][method]
                    names = {p["name"] for p in [*shared, *target.get("parameters", [])]}
                    assert link["parameters"] and set(link["parameters"]) <= names, link
    assert count >= 40


def _tiny_app() -> Flask:
    app = Flask("tiny")
    app.add_url_rule("/things", "things.Create", lambda: "", methods=["POST"])
    app.add_url_rule("/things/<thing_id>", "things.ById", lambda thing_id: "", methods=["GET"])
    app.add_url_rule(
        "/things/<thing_id>/both", "things.Both", lambda thing_id: "", methods=["GET", "PUT"]
    )
    return app


def _tiny_spec(**by_id: Any) -> dict[str, Any]:
    parameter = [{"in": "path", "name": "thing_id"}]
    return {
        "paths": {
            "/things": {
                "post": {
                    "responses": {"201": {"description": "made"}},
                    links.MARKER: [
                        links.declaration(
                            201,
                            {"thing_id": "$response.body#/id"},
                            ("things.ById", "PUT things.Both"),
                        )
                    ],
                }
            },
            "/things/{thing_id}": {"get": {"parameters": parameter, **by_id}},
            "/things/{thing_id}/both": {"get": {}, "put": {"parameters": parameter}},
        }
    }


def test_a_target_with_an_operation_id_is_linked_by_it_others_by_reference():
    spec = links.resolve(_tiny_spec(operationId="getThing"), _tiny_app())
    made = spec["paths"]["/things"]["post"]["responses"]["201"]["links"]
    assert made["ById"] == {
        "operationId": "getThing",
        "parameters": {"thing_id": "$response.body#/id"},
    }
    assert made["Both_put"]["operationRef"] == "#/paths/~1things~1{thing_id}~1both/put"


@pytest.mark.parametrize("target", ["things.Missing", "things.Both", "DELETE things.ById"])
def test_a_link_to_an_operation_that_does_not_exist_fails_the_document(target):
    spec = _tiny_spec()
    spec["paths"]["/things"]["post"][links.MARKER][0]["targets"] = [target]
    with pytest.raises(LookupError):
        links.resolve(spec, _tiny_app())
