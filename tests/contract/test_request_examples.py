"""Every JSON request body carries an example in the OpenAPI document (issue 13), and every
example is a body the server accepts: each is loaded through the very marshmallow schema the
endpoint parses with, so an example that drifts from its schema fails here, not in an app
developer's generated client or in Swagger UI's "Try it out"."""

from collections.abc import Iterator
from typing import Any

from flask import Flask


def _json_bodies(app: Flask) -> Iterator[tuple[str, str, Any, dict[str, Any]]]:
    """(method, path, schema instance, @blp.arguments' documentation) of every JSON body."""
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None)
            arguments = getattr(handler, "_apidoc", {}).get("arguments", {})
            for parameter in arguments.get("parameters", []):
                if parameter["in"] == "json":
                    schema = parameter["schema"]
                    instance = schema() if isinstance(schema, type) else schema
                    yield method, rule.rule, instance, parameter


def test_every_request_body_in_the_document_has_an_example(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    bodies = [
        (method.upper(), path, content)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
        for media, content in operation["requestBody"]["content"].items()
        if media == "application/json"
    ]
    assert len(bodies) > 30
    missing = [f"{m} {p}" for m, p, c in bodies if "example" not in c and "examples" not in c]
    assert not missing, f"request bodies without an example: {missing}"


def test_every_request_example_is_a_body_the_endpoint_accepts(app):
    checked, refused = 0, []
    with app.test_request_context(headers={"Accept-Language": "en"}):
        for method, path, schema, parameter in _json_bodies(app):
            examples = (
                [parameter["example"]]
                if "example" in parameter
                else [e["value"] for e in parameter.get("examples", {}).values()]
            )
            for example in examples:
                errors = schema.validate(example)
                checked += 1
                if errors:
                    refused.append(f"{method} {path}: {errors}")
    assert checked > 30
    assert not refused, refused
