"""Open311 GeoReport v2 under /open311/v2, in JSON and XML, outside /api/v1: its own error
format (`[{code, description}]` / `<errors><error>...`) and its own documentation (the
GeoReport v2 specification), so it is not part of the /api/v1 OpenAPI document."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from flask import Blueprint, Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from app.complaints import open311
from app.complaints.open311 import Open311Error
from app.http.api import Blueprint as ApiBlueprint
from app.http.errors import DomainError

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
FORMATS = ("json", "xml")
# XML element names for the members of a list (GeoReport v2 §Response formats).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list):
        for child in value:
            _append(element, ITEM_TAGS.get(tag, "item"), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def _xml(root: str, payload: Any) -> bytes:
    element = ET.Element(root)
    if isinstance(payload, list):
        for item in payload:
            _append(element, ITEM_TAGS[root], item)
    else:
        for key, value in payload.items():
            _append(element, key, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, root: str, payload: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, payload), status=status, content_type="text/xml; charset=utf-8")
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"format {fmt} is not supported; use .json or .xml")
    return fmt


def _error_format() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def _errors(code: int, description: str, headers: dict[str, str] | None = None) -> Response:
    response = render(_error_format(), "errors", [{"code": code, "description": description}], code)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@bp.errorhandler(Open311Error)
def _open311_error(error: Open311Error) -> Response:
    return _errors(error.code, error.description)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    code = 400 if error.status == 422 else error.status
    return _errors(code, error.message, error.headers)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _errors(error.code or 500, error.description or "error")


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """GeoReport v2's own OpenAPI document (blueprints/open311_openapi.py)."""
    from blueprints.open311_openapi import DOCUMENT

    return Response(json.dumps(DOCUMENT), mimetype="application/json")


@bp.get("/services.<fmt>")
def services(fmt: str) -> Response:
    return render(_format(fmt), "services", open311.services())


@bp.get("/services/<string:service_code>.<fmt>")
def service_definition(service_code: str, fmt: str) -> Response:
    return render(_format(fmt), "service_definition", open311.service_definition(service_code))


@bp.post("/requests.<fmt>")
@ApiBlueprint.accepts("application/x-www-form-urlencoded", "multipart/form-data")
def post_request(fmt: str) -> Response:
    fmt = _format(fmt)
    return render(fmt, "service_requests", open311.create_request(request.form))


@bp.get("/requests.<fmt>")
def get_requests(fmt: str) -> Response:
    return render(_format(fmt), "service_requests", open311.list_requests(request.args))


@bp.get("/requests/<string:service_request_id>.<fmt>")
def get_request(service_request_id: str, fmt: str) -> Response:
    return render(_format(fmt), "service_requests", open311.get_request(service_request_id))


@bp.get("/tokens/<string:token>.<fmt>")
def get_token(token: str, fmt: str) -> Response:
    return render(_format(fmt), "service_requests", open311.resolve_token(token))


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> Response:
    """Anything else under /open311/v2 answers in the spec's error format, not our envelope."""
    raise Open311Error(404, "no such Open311 resource")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
