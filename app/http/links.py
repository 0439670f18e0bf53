"""OpenAPI links: from an operation's response to the operations that use a value of it (the
id a creating POST answers with, the items of a list), so clients and the fuzzer's stateful
phase can follow them.

A view declares them with `@blp.links(parameters, *targets, status=...)`; targets are named by
their Flask endpoint ("applications.Accept", or "PATCH me.Me" when the view has several
methods). The names are resolved when the document is generated, once every blueprint is
registered: a target with an `operationId` is referred to by it, any other by `operationRef`
(a JSON pointer into this document). A target that does not exist fails the generation.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest.spec.plugins import FlaskPlugin

# The operation key the declarations travel under until the document is generated.
MARKER = "x-onevisit-links"
_METHODS = ("get", "put", "post", "delete", "patch")


def declaration(status: int, parameters: dict[str, str], targets: tuple[str, ...]) -> dict:
    if not targets or not parameters:
        raise ValueError("a link needs parameters and at least one target")
    return {"status": status, "parameters": dict(parameters), "targets": list(targets)}


def _pointer(path: str, method: str) -> str:
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"#/paths/{escaped}/{method}"


def _target(app: Flask, target: str) -> tuple[str, str, str]:
    """(OpenAPI path, method, link name) of TARGET ("endpoint" or "METHOD endpoint")."""
    method, _, endpoint = target.rpartition(" ")
    rules = list(app.url_map.iter_rules(endpoint))
    if not rules:
        raise LookupError(f"link target {target!r}: no such endpoint")
    rule = rules[0]
    methods = sorted(m.lower() for m in (rule.methods or ()) if m.lower() in _METHODS)
    if method:
        method = method.lower()
        if method not in methods:
            raise LookupError(f"link target {target!r}: the endpoint has no {method.upper()}")
    elif len(methods) == 1:
        method = methods[0]
    else:
        raise LookupError(f"link target {target!r}: name one of {methods}")
    name = endpoint.rsplit(".", 1)[-1]
    if len(methods) > 1:
        name = f"{name}_{method}"
    return FlaskPlugin.flaskpath2openapi(rule.rule), method, name


def resolve(spec: dict[str, Any], app: Flask) -> dict[str, Any]:
    """Turn the declarations in SPEC (a generated document, changed in place) into `links`
    of the declaring operations' responses."""
    paths = spec.get("paths", {})
    for item in paths.values():
        for operation in item.values():
            if not isinstance(operation, dict) or MARKER not in operation:
                continue
            for declared in operation.pop(MARKER):
                response = operation.setdefault("responses", {}).setdefault(
                    str(declared["status"]), {"description": ""}
                )
                links = response.setdefault("links", {})
                for target in declared["targets"]:
                    path, method, name = _target(app, target)
                    used = paths.get(path, {}).get(method)
                    if used is None:
                        raise LookupError(f"link target {target!r} is not in the document")
                    link: dict[str, Any] = {}
                    if used.get("operationId"):
                        link["operationId"] = used["operationId"]
                    else:
                        link["operationRef"] = _pointer(path, method)
                    # Only the parameters the target takes (a shared declaration may carry more).
                    declared_here = [*_parameters(paths[path]), *_parameters(used)]
                    taken = {p.get("name") for p in declared_here}
                    link["parameters"] = {
                        k: v for k, v in declared["parameters"].items() if k in taken
                    }
                    links[name] = link
    return spec


def _parameters(where: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in where.get("parameters", []) if isinstance(p, dict)]
