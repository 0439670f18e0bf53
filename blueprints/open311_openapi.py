"""Open311 GeoReport v2's own OpenAPI document, served at /open311/v2/openapi.json: its
formats, its `[{code, description}]` errors and its api_key, kept apart from /api/v1's
envelope and bearer tokens (a client generated from one never sees the other's shapes)."""

from __future__ import annotations

from typing import Any

from app import API_VERSION

_STR = {"type": "string"}
_NULL_STR = {"type": ["string", "null"]}
_NULL_NUM = {"type": ["number", "null"]}
_FMT = {
    "name": "fmt",
    "in": "path",
    "required": True,
    "description": "Response format",
    "schema": {"type": "string", "enum": ["json", "xml"]},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}, "text/xml": {"schema": _STR}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    meaning = {
        400: "A parameter is missing or invalid",
        403: "Missing, invalid or revoked api_key",
        404: "No such service or request",
        429: "Too many requests for this api_key; see Retry-After",
    }
    return {
        str(code): {
            "description": meaning[code],
            "content": {
                "application/json": {"schema": _list_of("Error")},
                "text/xml": {"schema": _STR},
            },
        }
        for code in codes
    }


def _get(
    operation_id: str, summary: str, schema: dict[str, Any], *, params=(), errors=(404,)
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "description": f"{summary}. Public: no key is needed.",
            "security": [],
            "parameters": [_FMT, *params],
            "responses": {"200": _ok(schema), **_errors(400, *errors)},
        }
    }


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": _STR,
    }


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": _STR,
    }


SERVICE_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {**_STR, "description": "The complaint's tracking number"},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "status_notes": _NULL_STR,
        "service_name": _NULL_STR,
        "service_code": _STR,
        "description": {
            **_NULL_STR,
            "description": "The reporter's text (numbers redacted) if published, else "
            "the service name",
        },
        "agency_responsible": _NULL_STR,
        "service_notice": _NULL_STR,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
        "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
        "address": _NULL_STR,
        "address_id": _NULL_STR,
        "zipcode": _NULL_STR,
        "lat": _NULL_NUM,
        "long": _NULL_NUM,
        "media_url": _NULL_STR,
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "OneVisit Open311 GeoReport v2",
        "version": API_VERSION,
        "description": (
            "The 12345 hotline's complaints as Open311 GeoReport v2 (https://wiki.open311.org/"
            "GeoReport_v2): services are complaint categories, service requests are complaints. "
            "Responses in JSON or XML by the path's `.fmt`; errors are GeoReport's "
            "`[{code, description}]`, not the /api/v1 envelope. Reading is public; posting "
            "needs an api_key issued by an admin (POST /api/v1/admin/open311/keys)."
        ),
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
    },
    "servers": [{"url": "/open311/v2"}],
    "paths": {
        "/services.{fmt}": _get(
            "listServices",
            "The services (complaint categories) one may report",
            _list_of("Service"),
        ),
        "/services/{service_code}.{fmt}": _get(
            "getServiceDefinition",
            "A service's attributes (the category's questions)",
            _ref("ServiceDefinition"),
            params=[_path("service_code", "The category's code")],
        ),
        "/requests.{fmt}": {
            **_get(
                "listServiceRequests",
                "Published service requests, newest first, by default of the last 90 days",
                _list_of("ServiceRequest"),
                params=[
                    _query(
                        "service_request_id", "Comma-separated ids; overrides every other filter"
                    ),
                    _query("service_code", "Only this service"),
                    _query("start_date", "W3C date-time with a time zone"),
                    _query("end_date", "W3C date-time with a time zone"),
                    _query("status", "open, closed, or both comma-separated"),
                ],
                errors=(),
            ),
            "post": {
                "operationId": "createServiceRequest",
                "summary": "Report a problem: files a complaint of the service's category",
                "description": (
                    "Needs an api_key (403 without one). A location is required: lat and "
                    "long, address_string or address_id. Attributes are sent as "
                    "`attribute[code]`. `public=true` publishes the description and address "
                    "(phone and ID numbers redacted). Rate-limited per key (429)."
                ),
                "security": [{"apiKey": []}],
                "parameters": [_FMT],
                "requestBody": {
                    "required": True,
                    "content": {
                        media: {"schema": _ref("ServiceRequestForm")}
                        for media in ("application/x-www-form-urlencoded", "multipart/form-data")
                    },
                },
                "responses": {
                    "200": _ok(_list_of("ServiceRequestCreated"), "Filed"),
                    **_errors(400, 403, 404, 429),
                },
            },
        },
        "/requests/{service_request_id}.{fmt}": _get(
            "getServiceRequest",
            "One published service request",
            _list_of("ServiceRequest"),
            params=[_path("service_request_id", "The tracking number")],
        ),
        "/tokens/{token}.{fmt}": _get(
            "resolveToken",
            "The service request a token returned by POST stands for",
            _list_of("ServiceRequest"),
            params=[_path("token", "The token")],
        ),
    },
    "components": {
        "securitySchemes": {"apiKey": {"type": "apiKey", "in": "query", "name": "api_key"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["code", "description"],
                "properties": {"code": {"type": "integer"}, "description": _STR},
            },
            "Service": {
                "type": "object",
                "required": ["service_code", "service_name", "metadata", "type"],
                "properties": {
                    "service_code": _STR,
                    "service_name": _STR,
                    "description": _STR,
                    "metadata": {"type": "boolean", "description": "Whether it has attributes"},
                    "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
                    "keywords": _STR,
                    "group": _STR,
                },
            },
            "ServiceDefinition": {
                "type": "object",
                "required": ["service_code", "attributes"],
                "properties": {"service_code": _STR, "attributes": _list_of("Attribute")},
            },
            "Attribute": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required", "order", "description"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": _STR,
                    "datatype": {
                        "type": "string",
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ],
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": _STR,
                    "order": {"type": "integer"},
                    "description": _STR,
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": _STR, "name": _STR},
                        },
                    },
                },
            },
            "ServiceRequestForm": {
                "type": "object",
                "required": ["api_key", "service_code"],
                "properties": {
                    "api_key": _STR,
                    "service_code": _STR,
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "long": {"type": "number", "minimum": -180, "maximum": 180},
                    "address_string": {"type": "string", "maxLength": 300},
                    "address_id": {"type": "string", "maxLength": 100},
                    "description": {"type": "string", "maxLength": 4000},
                    "media_url": {"type": "string", "maxLength": 1000},
                    "public": {"type": "string", "enum": ["true", "false"]},
                    "device_id": _STR,
                    "first_name": _STR,
                    "last_name": _STR,
                    "email": _STR,
                    "phone": _STR,
                },
                "additionalProperties": {
                    "type": "string",
                    "description": "attribute[code] answers",
                },
            },
            "ServiceRequestCreated": {
                "type": "object",
                "required": ["service_request_id"],
                "properties": {
                    "service_request_id": _STR,
                    "service_notice": _NULL_STR,
                    "account_id": _NULL_STR,
                },
            },
            "ServiceRequest": SERVICE_REQUEST,
        },
    },
}
