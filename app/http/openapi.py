"""The OpenAPI document's contract pass: one apispec plugin that completes every operation
with what the HTTP toolkit really answers, so generated clients can trust the document.

It runs after flask-smorest's own plugins, once per path, and adds to each operation:
- the error envelope as the body of every error status (a status declared without a body
  would make a generated client read the error as nothing);
- 413 and 415 on every operation that takes a body (app.http.api.check_media_type and the
  body limit answer them on any endpoint), 422 on every operation that parses input;
- `X-Request-ID` on every response, `Retry-After` on 429 and 503;
- `security: []` on public operations, a one-line summary, and a description saying who may
  call the operation and what each error status means.
Anything an operation declares itself (its own 4xx descriptions, headers) is kept.

And to each schema component: a response schema (schemas.base.ResponseSchema) lists every
field it always sends as required, a request schema says its defaults in words (so that a
generated client may leave them out); an enum field named with `x-enum-name` becomes one
component referenced wherever it is used (null admitted beside it with anyOf), so a
generator makes one class of it, not one per schema and property.
"""

from __future__ import annotations

import http
import json
import re
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance

ERROR_REF = {"$ref": "#/components/schemas/Error"}
_METHODS = ("get", "put", "post", "patch", "delete")
_SPACES = re.compile(r"\s+")

REQUEST_ID = {
    "description": "The request's id (echoed when the client sent one); quote it when "
    "reporting a problem",
    "schema": {"type": "string"},
}
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 0},
}
STANDARD_ERRORS = {
    413: "The body is larger than this endpoint accepts",
    415: "The body is not in a media type this endpoint accepts",
    422: "The request is not valid; `errors` names each field",
}
# What a status means when the operation gives no words of its own.
STATUS_MEANING = {
    304: "The cached copy named by If-None-Match is still current",
    400: "The body could not be read",
    401: "Missing, invalid or expired access token",
    403: "The caller's role or duties do not allow it",
    404: "No such record, or not visible to the caller",
    409: "The record's state does not allow it, or the record exists already",
    412: "If-Match names a version that is no longer current",
    413: STANDARD_ERRORS[413],
    415: STANDARD_ERRORS[415],
    422: STANDARD_ERRORS[422],
    429: "Too many requests; wait for Retry-After seconds",
    503: "Temporarily unavailable; retry after Retry-After seconds",
}


def _is_error(code: str) -> bool:
    return code.isdigit() and int(code) >= 400


def _inline(code: str, response: Any) -> Any:
    """A status named only by reference (flask-smorest's `UNPROCESSABLE_ENTITY`) is written
    out, so that it can carry the headers every response has."""
    if isinstance(response, dict) and "$ref" not in response:
        return response
    if code.isdigit():
        return {"description": STATUS_MEANING.get(int(code), http.HTTPStatus(int(code)).phrase)}
    return response


def _takes_input(operation: dict[str, Any]) -> bool:
    if "requestBody" in operation:
        return True
    return any(p.get("in") in ("query", "header") for p in operation.get("parameters", []))


def _complete_responses(operation: dict[str, Any]) -> None:
    responses = {
        str(code): _inline(str(code), r) for code, r in operation.get("responses", {}).items()
    }
    operation["responses"] = responses
    wanted: list[int] = []
    if "requestBody" in operation:
        wanted += [413, 415]
    if _takes_input(operation):
        wanted.append(422)
    for status in wanted:
        responses.setdefault(str(status), {"description": STANDARD_ERRORS[status]})
    for code, response in responses.items():
        if not isinstance(response, dict) or "$ref" in response:
            continue
        if _is_error(code) and "content" not in response:
            response["content"] = {"application/json": {"schema": ERROR_REF}}
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-ID", {"$ref": "#/components/headers/X-Request-ID"})
        if code in ("429", "503"):
            headers.setdefault("Retry-After", {"$ref": "#/components/headers/Retry-After"})
    operation["responses"] = dict(sorted(responses.items()))


def _cacheable(operation: dict[str, Any], cache: str) -> None:
    """2xx answers of @blp.public_cache ("public") and @blp.etag ("private") views declare
    their ETag, the public ones also their Cache-Control."""
    from app.http.api import CACHE_HEADERS

    names = CACHE_HEADERS if cache == "public" else {"ETag": CACHE_HEADERS["ETag"]}
    for code, response in operation.get("responses", {}).items():
        if str(code).startswith("2") and isinstance(response, dict):
            headers = response.setdefault("headers", {})
            for name, header in names.items():
                headers.setdefault(name, header)


def _describe(operation: dict[str, Any]) -> None:
    """Who may call it, what it does (the view's own words) and what each error means."""
    parts = [operation["description"]] if operation.get("description") else []
    if "security" not in operation:
        operation["security"] = []
    roles = operation.get("x-roles")
    if not operation["security"]:
        parts.append("**Who may call it:** anyone; no access token is needed.")
    elif roles and roles != ["any"]:
        parts.append("**Who may call it:** " + ", ".join(roles) + " (bearer token).")
    else:
        parts.append("**Who may call it:** any signed-in user (bearer token).")
    answers = []
    for code, response in sorted(operation.get("responses", {}).items()):
        if not code.isdigit() or int(code) < 300:
            continue
        meaning = response.get("description") if isinstance(response, dict) else None
        if not meaning or meaning in ("Default error response",):
            meaning = STATUS_MEANING.get(int(code), "")
        answers.append(f"- `{code}`: {_SPACES.sub(' ', meaning).strip()}")
    if answers:
        parts.append("**Answers besides success:**\n" + "\n".join(answers))
    operation["description"] = "\n\n".join(parts)


class ContractPlugin(BasePlugin):
    """Completes each operation (see the module's docstring)."""

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        self.spec = spec
        self.enums: set[str] = set()
        spec.components.header("X-Request-ID", REQUEST_ID)
        spec.components.header("Retry-After", RETRY_AFTER)

    def schema_helper(self, name: str, definition: dict[str, Any], **kwargs: Any) -> None:
        """Runs after the marshmallow plugin: DEFINITION is the component it wrote."""
        schema = kwargs.get("schema")
        if schema is None:
            return
        instance = resolve_schema_instance(schema)
        if getattr(instance, "openapi_response", False):
            from schemas.base import required_in_response

            definition["required"] = required_in_response(instance)
        else:
            _defaults_in_words(definition)
        one_of = getattr(instance, "openapi_one_of", None)
        if one_of:
            self._one_of(definition, one_of)
        for key, prop in definition.get("properties", {}).items():
            enum_name = prop.pop("x-enum-name", None)
            if enum_name:
                definition["properties"][key] = self._named_enum(enum_name, prop)

    def _one_of(self, definition: dict[str, Any], variants: dict[str, tuple[str, ...]]) -> None:
        """DEFINITION as oneOf named VARIANTS: each has the shared (required) fields and its
        own, required too."""
        properties = definition.pop("properties")
        shared = [n for n in definition.pop("required", []) if n in properties]
        exclusive = {name for names in variants.values() for name in names}
        common = {k: v for k, v in properties.items() if k not in exclusive}
        refs = []
        for variant, names in variants.items():
            self.spec.components.schema(
                variant,
                {
                    "type": "object",
                    "properties": {**common, **{n: properties[n] for n in names}},
                    "required": [*shared, *names],
                    "additionalProperties": False,
                },
            )
            refs.append({"$ref": f"#/components/schemas/{variant}"})
        definition.pop("type", None)
        definition.pop("additionalProperties", None)
        definition["oneOf"] = refs

    def _named_enum(self, enum_name: str, prop: dict[str, Any]) -> dict[str, Any]:
        values = [v for v in prop.get("enum", []) if v is not None]
        if enum_name not in self.enums:
            self.enums.add(enum_name)
            self.spec.components.schema(enum_name, {"type": "string", "enum": values})
        ref = {"$ref": f"#/components/schemas/{enum_name}"}
        types = prop.get("type")
        nullable = None in prop.get("enum", []) or (isinstance(types, list) and "null" in types)
        described = {"description": prop["description"]} if "description" in prop else {}
        if nullable:
            return {"anyOf": [ref, {"type": "null"}], **described}
        return {**ref, **described}

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        for method, operation in (operations or {}).items():
            if method not in _METHODS:
                continue
            if operation.get("summary"):
                operation["summary"] = _SPACES.sub(" ", operation["summary"]).strip()
            operation.setdefault("parameters", []).extend(operation.pop("x-more-parameters", []))
            if not operation["parameters"]:
                del operation["parameters"]
            if cache := operation.pop("x-cache", None):
                _cacheable(operation, cache)
            _complete_responses(operation)
            _describe(operation)


def _defaults_in_words(definition: dict[str, Any]) -> None:
    """A request field the server defaults says so in its description, not as `default`:
    openapi-typescript (7, by default) types a property with a `default` as always present,
    so a client generated from the document would have to send every defaulted field."""
    for prop in definition.get("properties", {}).values():
        if "default" not in prop:
            continue
        value = prop.pop("default")
        said = "null" if value is None else json.dumps(value, ensure_ascii=False)
        words = f"Defaults to `{said}` when left out."
        prop["description"] = f"{prop['description']} {words}" if prop.get("description") else words
