"""The HTTP layer's toolkit: the Api with our error envelope, and a Blueprint whose decorators
enforce and document auth, idempotency, ETags and accepted media types in one place."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from copy import deepcopy
from functools import wraps
from typing import Any

import flask_smorest
from flask import Flask, Response, current_app, make_response, request
from werkzeug.exceptions import HTTPException

from app.accounts import auth
from app.http import idempotency, links
from app.http.errors import (
    BadRequest,
    PreconditionFailed,
    UnsupportedMediaType,
    handle_http_exception,
)
from app.http.openapi import ContractPlugin
from schemas.errors import FIELD_ERRORS, ErrorSchema

JSON_TYPES = ("application/json",)
_ETAG = re.compile(r'^(?:W/)?"v(\d+)"$')


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        return handle_http_exception(error)

    def init_app(self, app: Flask, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        self._undocumented: list[tuple[Any, str, Any]] = []
        self._documenting = threading.Lock()
        spec_kwargs = {**(spec_kwargs or {})}
        spec_kwargs["extra_plugins"] = [*spec_kwargs.get("extra_plugins", ()), ContractPlugin()]
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.spec.components.schema("FieldErrors", FIELD_ERRORS)
        self.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        )
        # Links name their targets by endpoint; they can only be resolved once every
        # blueprint is in the document, i.e. when the document is generated.
        generate = self.spec.to_dict

        def to_dict() -> dict[str, Any]:
            self._document_blueprints()
            return links.resolve(generate(), app)

        self.spec.to_dict = to_dict  # type: ignore[method-assign]

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Route BLP now and document it when the document is first asked for: converting
        every schema of every operation takes ~0.4 s, which a worker's start-up (and each test's
        app) need not pay before anyone reads /openapi.json."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def _document_blueprints(self) -> None:
        with self._documenting:
            while self._undocumented:
                blp, name, parameters = self._undocumented.pop(0)
                blp.register_views_in_doc(
                    self, self._app, self.spec, name=name, parameters=parameters
                )
                self.spec.tag({"name": name, "description": blp.description})


def _add_doc(
    func: Callable[..., Any],
    *,
    responses: dict[int, str] | None = None,
    manual: dict[str, Any] | None = None,
) -> None:
    apidoc = deepcopy(getattr(func, "_apidoc", {}))
    for code, description in (responses or {}).items():
        apidoc.setdefault("response", {}).setdefault("responses", {}).setdefault(code, []).append(
            {"schema": ErrorSchema, "description": description, "content_type": None}
        )
    if manual:
        merged = apidoc.setdefault("manual_doc", {})
        for key, value in manual.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    func._apidoc = apidoc  # type: ignore[attr-defined]


class Blueprint(flask_smorest.Blueprint):
    """Decorator order on a view, outermost first: auth → idempotent → arguments → response,
    so an anonymous caller gets 401 before any body validation."""

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's, with a JSON body's example in the document taken from the schema's
        `example` (a class attribute beside its fields, tests/contract/test_request_examples.py
        loads it through the schema) unless the view gives one."""
        if location == "json" and "example" not in kwargs and "examples" not in kwargs:
            example = getattr(schema, "example", None)
            if example is not None:
                kwargs["example"] = example
        return super().arguments(schema, location=location, **kwargs)

    def auth(self, *roles: str, duties: Iterable[str] = ()) -> Callable[..., Any]:
        duties = tuple(duties)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                auth.require(roles, duties)
                return func(*args, **kwargs)

            who = ", ".join(roles) if roles else "any signed-in user"
            if duties:
                who += " (staff duties: " + " or ".join(duties) + ")"
            _add_doc(
                wrapper,
                responses={
                    401: "Missing, invalid or expired access token",
                    403: f"Allowed for: {who}",
                },
                manual={"security": [{"bearerAuth": []}], "x-roles": list(roles) or ["any"]},
            )
            return wrapper

        return decorator

    def optional_auth(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            auth.optional_user()
            return func(*args, **kwargs)

        _add_doc(
            wrapper,
            responses={401: "An access token was sent but is invalid"},
            manual={"security": [{}, {"bearerAuth": []}]},
        )
        return wrapper

    @staticmethod
    def on_behalf(need: str = "apply") -> Callable[..., Any]:
        """Honour `On-Behalf-Of` (app/accounts/acting.py, the one resolution point): the view
        reads the person it acts for with acting.subject(). Goes right after auth."""
        from app.accounts import acting

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                acting.resolve(auth.current_user(), need)
                return func(*args, **kwargs)

            _add_doc(
                wrapper,
                responses={403: f"{acting.HEADER} names someone you hold no live grant from"},
                # Appended by app.http.openapi: "parameters" would replace the query's.
                manual={"x-more-parameters": [acting.HEADER_DOC]},
            )
            return wrapper

        return decorator

    def idempotent(self, func: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = idempotency.idempotent(func)
        _add_doc(
            wrapped,
            responses={
                422: "Invalid body, or Idempotency-Key reused with a different body",
            },
            manual={
                "parameters": [
                    {
                        "in": "header",
                        "name": "Idempotency-Key",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "maxLength": 128,
                            "pattern": "^[A-Za-z0-9._:-]{1,128}$",
                        },
                        "description": "Client-generated unique key (a UUID). A retry with "
                        "the same key and body is answered with what the first request made "
                        "(its record or case as it is now, same status, header "
                        "`Idempotent-Replayed: true`) and changes nothing; the same key with "
                        "another body is 422. The key is kept with the record it made, at "
                        "least 24 h.",
                    }
                ]
            },
        )
        return wrapped

    def if_match(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Documents If-Match and 412; the service compares the version in its CAS write."""
        _add_doc(
            func,
            responses={
                409: "The resource changed state; the transition no longer applies",
                412: "If-Match names a version that is no longer current",
            },
            manual={
                "parameters": [
                    {
                        "in": "header",
                        "name": "If-Match",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "maxLength": 64,
                            "pattern": '^(W/)?"v[0-9]+"$|^\\*$',
                        },
                        "description": 'The ETag of the version the client acted on, e.g. "v3".',
                    }
                ]
            },
        )
        return func

    def links(
        self, parameters: dict[str, str], *targets: str, status: int = 201
    ) -> Callable[..., Any]:
        """OpenAPI links from this operation's STATUS response to TARGETS (Flask endpoints,
        "METHOD endpoint" for views with several methods), each parameter a runtime
        expression such as "$response.body#/id" (app/http/links.py)."""
        declared = links.declaration(status, parameters, targets)

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            _add_doc(func, manual={links.MARKER: [declared]})
            return func

        return decorator

    def not_found(self, func: Callable[..., Any]) -> Callable[..., Any]:
        _add_doc(func, responses={404: "No such record, or not visible to the caller"})
        return func

    def public_cache(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A public catalogue read: `Cache-Control: public, max-age` (Settings
        catalogue_max_age_seconds) with an ETag (the record's version when the view sends
        one, else a digest of the body), and 304 to a matching If-None-Match. A signed-in
        caller still gets the ETag and 304, but app.privacy's no-store. An If-None-Match
        longer than its documented bound is refused (400), as the document says."""

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _refuse_long_if_none_match()
            response: Response = make_response(func(*args, **kwargs))
            if response.status_code == 200 and "Authorization" not in request.headers:
                max_age = current_app.extensions["settings"].catalogue_max_age_seconds
                response.headers["Cache-Control"] = f"public, max-age={max_age}"
            return _revalidate(response)

        _add_doc(wrapper, manual=_conditional_doc("public"))
        wrapper._public_cache = True  # type: ignore[attr-defined]
        return wrapper

    def etag(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A single resource of the caller's own (never publicly cached): an ETag (the record's
        version when the view sends one, else a digest of the body) and 304 to a matching
        If-None-Match, both declared in the document."""

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _refuse_long_if_none_match()
            return _revalidate(make_response(func(*args, **kwargs)))

        _add_doc(wrapper, manual=_conditional_doc("private"))
        return wrapper

    @staticmethod
    def accepts(*media_types: str, max_bytes_setting: str | None = None) -> Callable[..., Any]:
        """Declare request media types other than JSON (multipart uploads, Open311 forms) and,
        for uploads, the Settings field that caps the body instead of max_body_bytes."""

        def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
            func._accepts = media_types  # type: ignore[attr-defined]
            func._max_bytes_setting = max_bytes_setting  # type: ignore[attr-defined]
            return func

        return decorator


# The longest If-None-Match a public catalogue read takes (documented and enforced): room for
# dozens of our 34-character ETags.
IF_NONE_MATCH_MAX = 1024

CACHE_HEADERS = {
    "ETag": {
        "description": "The version of this answer; send it as If-None-Match to revalidate",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=N` for an anonymous read, `no-store` when signed in",
        "schema": {"type": "string"},
    },
}


VERSION_ETAG = {
    "ETag": {
        "description": 'The version of this record, e.g. "v3"; send it back as If-Match '
        "(412 when it is no longer current)",
        "schema": {"type": "string"},
    }
}


def _revalidate(response: Response) -> Response:
    """A 200 gets an ETag (a digest of its body unless the view named a version) and turns
    into 304 when If-None-Match names it."""
    if response.status_code != 200:
        return response
    etag = response.headers.get("ETag")
    if etag is None:
        etag = '"' + hashlib.sha256(response.get_data()).hexdigest()[:32] + '"'
        response.headers["ETag"] = etag
    if etag in _tags(request.headers.get("If-None-Match")):
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
    return response


def _refuse_long_if_none_match() -> None:
    """An If-None-Match longer than its documented bound is refused (400), as documented."""
    if len(request.headers.get("If-None-Match", "")) > IF_NONE_MATCH_MAX:
        raise BadRequest(
            f"If-None-Match is longer than {IF_NONE_MATCH_MAX} characters.",
            errors={"If-None-Match": [f"At most {IF_NONE_MATCH_MAX} characters."]},
        )


def _conditional_doc(cache: str) -> dict[str, Any]:
    return {
        # Not "parameters": flask-smorest's manual doc would replace the query
        # parameters of @blp.arguments; app.http.openapi appends these instead.
        "x-more-parameters": [
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string", "maxLength": IF_NONE_MATCH_MAX},
                "description": "An ETag of this resource from an earlier answer; "
                "304 if it is still current.",
            }
        ],
        "responses": {
            "304": {
                "description": "Not modified: the copy named by If-None-Match is current",
                "headers": {"ETag": CACHE_HEADERS["ETag"]},
            }
        },
        "x-cache": cache,
    }


def _tags(header: str | None) -> set[str]:
    """The ETags an If-None-Match names, weak or strong alike (RFC 9110 weak comparison)."""
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def _view_handler() -> Callable[..., Any] | None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, request.method.lower(), None)
    return view


def check_media_type() -> None:
    """before_request: a body must be in a media type the endpoint declares (415 otherwise)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    has_body = (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )
    if not has_body:
        return
    handler = _view_handler()
    if handler is None:
        return
    setting = getattr(handler, "_max_bytes_setting", None)
    if setting:
        # Room for the multipart framing around a file of the allowed size.
        limit = getattr(current_app.extensions["settings"], setting) + 64 * 1024
        request.max_content_length = limit
    accepted = getattr(handler, "_accepts", None) or JSON_TYPES
    mimetype = request.mimetype or ""
    if mimetype in accepted or (mimetype.endswith("+json") and "application/json" in accepted):
        return
    raise UnsupportedMediaType(
        f"Send the body as {' or '.join(accepted)}, not {mimetype or 'an unspecified type'}."
    )


def etag_for(version: int) -> str:
    return f'"v{version}"'


def if_match_version() -> int | None:
    """The version named by If-Match, None when absent; malformed or '*' handled explicitly."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = _ETAG.match(raw.strip())
    if not match:
        raise PreconditionFailed('If-Match must be an ETag this API issued, like "v3".')
    return int(match.group(1))
