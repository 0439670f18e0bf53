"""Open311 GeoReport v2 over complaints: services are the complaint categories, requests are
complaints, and admins issue the API keys third-party 311 clients post with.

Decisions (documented for 311 integrators):
- Requests posted through Open311 have no OneVisit account behind them: the complaint's
  `complainant_id` is null and the reporter's email/name/phone are kept as its `contact`
  (visible unmasked only to the handling and hotline staff). A per-key pseudo-user would make
  every report of one client "the same complainant" for repeat detection. Such complaints are
  ordinary in every other respect (routing, clock, repeats by location, KPIs, oversight).
- The region is `jurisdiction_id` when it is a region code we serve, else the region of the
  category's default department.
- Requests are created synchronously, so POST answers with `service_request_id` (our tracking
  number). Each Open311 request also gets a token that `tokens/{token}` resolves, for clients
  that always go through tokens.
- GET requests publishes complaints without personal data: never disputes (private
  mediation), never names or contacts; the description of a complaint filed in the resident
  app is replaced by its title (the reporter did not publish it); Open311 reports keep theirs.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from werkzeug.datastructures import MultiDict

from app import audit, clock, i18n, privacy
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.complaints import categories
from app.complaints import open311_keys_repository as keys_repo
from app.complaints import repository as complaints_repo
from app.complaints import service as complaints
from app.complaints.rules import OPEN_STATES
from app.http import ratelimit
from app.http.errors import NotFound, ValidationFailed
from app.http.urls import is_web_url

DEFAULT_WINDOW_DAYS = 90
MAX_REQUESTS = 1000
CLOSED_STATES = ("resolved", "closed")
SERVICE_NOTICE = "Received by the 12345 hotline; handled within {days} working days."


class Open311Error(Exception):
    """An error answered in GeoReport v2's own format: [{code, description}]."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


# ----------------------------------------------------------------------------- API keys


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _derive_key(key_id: ObjectId, kid: str) -> str:
    """The key of record KEY_ID: an Ed25519 signature (deterministic) by the server key KID over
    the record's id. Only its hash is stored; a retry of the issuing request can answer with
    the same key because it can be derived again, while nobody without the server key can."""
    keys = current_app.extensions["signing_keys"]
    signature = keys.by_kid[kid].private.sign(f"open311-key|{key_id}".encode())
    return "o311_" + base64.urlsafe_b64encode(hashlib.sha256(signature).digest()).decode()[:43]


def issue_key(name: str) -> dict[str, Any]:
    kid = current_app.extensions["signing_keys"].keys[0].kid
    doc = {"_id": ObjectId(), "name": name, "kid": kid, "created_at": clock.now()}
    raw = _derive_key(doc["_id"], kid)
    doc.update(key_hash=_hash(raw), revoked_at=None)
    entry = audit.entry("open311_key.issue", "open311_key", doc["_id"], after={"name": name})
    stored = keys_repo.insert(doc, [entry])
    return {**stored, "api_key": _derive_key(stored["_id"], stored["kid"])}


def revoke_key(key_id: str) -> None:
    entry = audit.entry("open311_key.revoke", "open311_key", key_id)
    if not ObjectId.is_valid(key_id) or not keys_repo.revoke(
        ObjectId(key_id), clock.now(), [entry]
    ):
        raise NotFound("No such active Open311 key.")


def _verified_key(raw: str | None) -> dict[str, Any]:
    key = keys_repo.find_active(_hash(raw)) if raw else None
    if key is None:
        raise Open311Error(403, "api_key was not provided or is invalid")
    return key


# ----------------------------------------------------------------------------- services


def _service(category: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_code": category["_id"],
        "service_name": i18n.localized(category["name"]),
        "description": category.get("description") or "",
        "metadata": bool(category.get("questions")),
        "type": "realtime",
        "keywords": ",".join(category.get("keywords") or []),
        "group": category.get("group") or "",
    }


def services() -> list[dict[str, Any]]:
    return [_service(c) for c in categories.list_active()]


def _category(code: str) -> dict[str, Any]:
    try:
        return categories.get(code)
    except NotFound:
        raise Open311Error(404, f"service_code {code} not found") from None


def service_definition(code: str) -> dict[str, Any]:
    category = _category(code)
    attributes = []
    for order, question in enumerate(category.get("questions") or [], start=1):
        attribute: dict[str, Any] = {
            "variable": True,
            "code": question["code"],
            "datatype": question["datatype"],
            "required": bool(question.get("required")),
            "datatype_description": question.get("datatype_description") or "",
            "order": order,
            "description": question["description"],
        }
        if question.get("values"):
            attribute["values"] = [{"key": v["key"], "name": v["name"]} for v in question["values"]]
        attributes.append(attribute)
    return {"service_code": category["_id"], "attributes": attributes}


# ----------------------------------------------------------------------------- POST requests


def _float(form: MultiDict, name: str, low: float, high: float) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not low <= value <= high:
        raise Open311Error(400, f"{name} is out of range")
    return value


def _answers(category: dict[str, Any], form: MultiDict) -> dict[str, Any]:
    questions = {q["code"]: q for q in category.get("questions") or []}
    answers: dict[str, Any] = {}
    for name in form:
        if not name.startswith("attribute["):
            continue
        code = name[len("attribute[") :].split("]", 1)[0]
        question = questions.get(code)
        if question is None:
            raise Open311Error(400, f"attribute {code} is not an attribute of this service")
        values = [v for v in form.getlist(name) if v != ""]
        if not values:
            continue
        if question["datatype"] == "multivaluelist":
            answers[code] = values
        elif question["datatype"] == "number":
            try:
                answers[code] = float(values[0])
            except ValueError:
                raise Open311Error(400, f"attribute {code} must be a number") from None
        else:
            answers[code] = values[0]
    for code, question in questions.items():
        if question.get("required") and code not in answers:
            raise Open311Error(400, f"attribute {code} is required")
    return answers


def _region(form: MultiDict, category: dict[str, Any]) -> str:
    jurisdiction = (form.get("jurisdiction_id") or "").strip()
    if jurisdiction and regions_repo.get(jurisdiction) is not None:
        return jurisdiction
    dept = departments_repo.get(category["default_department"])
    if dept is None:
        raise Open311Error(400, "this service cannot take requests here")
    return dept["region"]


def create_request(form: MultiDict) -> list[dict[str, Any]]:
    key = _verified_key(form.get("api_key"))
    ratelimit.hit(
        "open311_post", str(key["_id"]), current_app.extensions["settings"].open311_limit_key
    )
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code was not provided")
    category = _category(code)
    lat = _float(form, "lat", -90, 90)
    lng = _float(form, "long", -180, 180)
    address = (form.get("address_string") or "").strip()[:300] or None
    if (lat is None) != (lng is None):
        raise Open311Error(400, "lat and long must be given together")
    if lat is None and not address and not (form.get("address_id") or "").strip():
        raise Open311Error(
            400, "a location is required: lat and long, address_string or address_id"
        )
    description = (form.get("description") or "").strip()[:4000]
    media_url = (form.get("media_url") or "").strip()[:1000] or None
    if media_url is not None and not is_web_url(media_url):
        raise Open311Error(400, "media_url must be an http or https URL")
    # An extension of GeoReport v2: the reporter's text and location are published in GET
    # requests only when the reporter asked for it (public=true).
    publish_text = (form.get("public") or "").strip().lower() in ("true", "1", "yes")
    answers = _answers(category, form)
    contact = {
        name: (form.get(name) or "").strip()[:200] or None
        for name in ("first_name", "last_name", "email", "phone")
    }
    location: dict[str, Any] = {"address": address}
    if lat is not None:
        location.update(lat=lat, lng=lng)
    token = secrets.token_urlsafe(16)
    data = {
        "kind": "complaint",
        "category": category["_id"],
        # A complaint's own text: in the official language when the category stands for it.
        "title": (description or i18n.localized(category["name"], "zh-CN"))[:80],
        "description": description or i18n.localized(category["name"], "zh-CN"),
        "location": location,
        "region": _region(form, category),
        "answers": answers,
    }
    try:
        doc = complaints.submit(
            None,
            data,
            source="open311",
            contact=contact if any(contact.values()) else None,
            open311={
                "key_id": key["_id"],
                "token": token,
                "media_url": media_url,
                "publish_text": publish_text,
                "address_id": (form.get("address_id") or "").strip()[:100] or None,
                "device_id": (form.get("device_id") or "").strip()[:200] or None,
            },
            enforce_required_answers=True,
        )
    except ValidationFailed as exc:
        detail = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in (exc.errors or {}).items())
        raise Open311Error(400, f"{exc.message} {detail}".strip()) from None
    return [
        {
            "service_request_id": doc["tracking_no"],
            "service_notice": SERVICE_NOTICE.format(days=doc["time_limit"]["value"]),
            "account_id": None,
        }
    ]


# ----------------------------------------------------------------------------- GET requests


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """A complaint as GeoReport v2 publishes it to anyone. What the person wrote, where, and
    their photo are shown only if they opted in (`public`), and the text has phone and ID
    numbers redacted (app/privacy.py); otherwise the request shows its category, status,
    dates and the agency only."""
    privacy.mark()
    open311 = doc.get("open311") or {}
    published = bool(open311.get("publish_text"))
    coords = (doc.get("location") or {}).get("coordinates") if published else None
    coords = coords or [None, None]
    closed = doc["status"] in CLOSED_STATES
    dept = departments_repo.get(doc["department"]) or {}
    return {
        "service_request_id": doc["tracking_no"],
        "status": "closed" if closed else "open",
        "status_notes": {
            "submitted": "Received; awaiting routing.",
            "assigned": "Assigned to the responsible department.",
            "replied": "The department has replied; handling continues.",
            "resolved": "Resolved.",
            "closed": "Closed.",
        }[doc["status"]],
        "service_name": i18n.localized(doc.get("category_name")),
        "service_code": doc["category"],
        "description": (
            privacy.redact_text(doc["description"])
            if published
            else i18n.localized(doc.get("category_name"))
        ),
        "agency_responsible": i18n.localized(dept.get("name")) or doc["department"],
        "service_notice": SERVICE_NOTICE.format(days=doc["time_limit"]["value"]),
        "requested_datetime": clock.iso(doc["created_at"]),
        "updated_datetime": clock.iso(doc["updated_at"]),
        "expected_datetime": clock.iso(doc["due_at"]) if doc.get("due_at") else None,
        "address": privacy.redact_text(doc.get("address")) if published else None,
        "address_id": open311.get("address_id") if published else None,
        "zipcode": None,
        "lat": coords[1],
        "long": coords[0],
        "media_url": open311.get("media_url") if published else None,
    }


def _date(args: MultiDict, name: str) -> datetime | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a W3C date-time, e.g. 2026-11-01T00:00:00Z"
        ) from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or +08:00)")
    return value


def list_requests(args: MultiDict) -> list[dict[str, Any]]:
    ids = [i.strip() for i in (args.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        # Per the spec, a service_request_id list overrides every other filter.
        found = complaints_repo.get_by_tracking_nos(ids[:MAX_REQUESTS])
        by_no = {d["tracking_no"]: d for d in found if d.get("open311_public")}
        return [_public(by_no[i]) for i in ids if i in by_no]
    start, end = _date(args, "start_date"), _date(args, "end_date")
    now = clock.now()
    if end is None:
        end = start + timedelta(days=DEFAULT_WINDOW_DAYS) if start else now
    if start is None:
        start = end - timedelta(days=DEFAULT_WINDOW_DAYS)
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    states: tuple[str, ...] | None = None
    wanted = {s.strip() for s in (args.get("status") or "").split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    if wanted == {"open"}:
        states = OPEN_STATES
    elif wanted == {"closed"}:
        states = CLOSED_STATES
    code = (args.get("service_code") or "").strip() or None
    query = complaints_repo.open311_query(start=start, end=end, service_code=code, states=states)
    return [_public(d) for d in complaints_repo.open311_requests(query, MAX_REQUESTS)]


def get_request(service_request_id: str) -> list[dict[str, Any]]:
    found = [
        d
        for d in complaints_repo.get_by_tracking_nos([service_request_id])
        if d.get("open311_public")
    ]
    if not found:
        raise Open311Error(404, f"service_request_id {service_request_id} not found")
    return [_public(found[0])]


def resolve_token(token: str) -> list[dict[str, Any]]:
    doc = complaints_repo.by_token(token)
    if doc is None:
        raise Open311Error(404, f"token {token} not found")
    return [{"service_request_id": doc["tracking_no"], "token": token}]
