"""The one masking policy: which personal fields (names, phone and ID numbers, addresses,
e-mail) a reader sees in full, applied to every response that carries them.

Who sees what, by the reader's role and relation to the record:

- A person who acted (timeline actor, reviewer, note author, visit staff, mediator, ...):
  in full for that person, for staff of the same department, and for supervisors when a
  supervisor acted; masked for everyone else, supervisors and admins included.
- An applicant's name, phone and ID number: masked for everyone (API.md).
- A complainant's, reporter's or party's contact: in full for the complainant and the staff
  handling the case (complaints.present decides the relation); masked for everyone else.
- Audit before/after/detail: masked for every reader (the log records what changed).
- Free text published to the public (Open311, public reports): phone and ID numbers
  redacted for every reader, and published only when its author opted in.

Every helper that presents personal data marks the request (`mark()`), and one after_request
rule (`cache_rule`) sends `Cache-Control: no-store` on every response to a signed-in caller,
to a write, or that was marked, so no shared cache or browser disk keeps personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Response, g, has_request_context, request

from app.accounts.identity import mask_name, mask_phone, mask_resident_id

# A person reference as the services store it: {id, name, role?, department?, region?}.
_PERSON_REF_KEYS = frozenset({"id", "name", "role", "department", "region"})
_SYSTEM_ROLES = frozenset({"system"})

# Phone and ID numbers inside free text: mainland mobiles (optionally +86), landlines with an
# area code, 18-char resident IDs and 15-digit old ones, credit codes. [0-9] not \d: \d also
# matches full-width digits; those are folded to ASCII first so they cannot slip through.
_FULLWIDTH = {ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}
_NUMBERS_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]"  # resident ID (18)
    r"|[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"  # unified social credit code
    r"|(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"  # mobile
    r"|0[0-9]{2,3}[- ]?[0-9]{7,8}"  # landline with area code
    r"|[1-9][0-9]{14}"  # resident ID (15, pre-1999)
    r")(?![0-9A-Za-z])"
)
REDACTED = "[redacted]"


_MARK = "onevisit.personal_data"


def mark() -> None:
    """Note that this response carries personal data (see cache_rule). Kept on the request
    itself: `g` belongs to the app context, which may outlive one request."""
    if has_request_context():
        request.environ[_MARK] = True


def reader() -> Any:
    """Who this response is for (the authenticated Principal), or None."""
    if not has_request_context() or "Authorization" not in request.headers:
        return None
    return g.get("user")


def mask_email(value: str | None) -> str | None:
    if not value:
        return None
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_address(value: str | None) -> str | None:
    """An address to its first six characters (about the district), e.g. 浙江省杭州市****."""
    if not value:
        return value
    return value[:6] + "****" if len(value) > 6 else "****"


def redact_text(text: str | None) -> str | None:
    """Free text with every phone, ID and credit-code number replaced by [redacted]."""
    if not text:
        return text
    return _NUMBERS_IN_TEXT.sub(REDACTED, text.translate(_FULLWIDTH))


def is_person_ref(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "name" in value
        and "id" in value
        and set(value) <= _PERSON_REF_KEYS
    )


def sees_person(viewer: Any, person: dict[str, Any]) -> bool:
    """Whether VIEWER sees the full name of PERSON (someone who acted on a record)."""
    if viewer is None:
        return False
    if person.get("id") is not None and str(person["id"]) == viewer.id:
        return True
    if person.get("department") and viewer.role == "staff":
        return viewer.department == person["department"]
    if person.get("role") == "supervisor" and viewer.role == "supervisor":
        return bool(viewer.region) and viewer.region == person.get("region", viewer.region)
    return False


def person_ref(person: dict[str, Any], viewer: Any = None) -> dict[str, Any]:
    """PERSON as VIEWER (default: this request's reader) may see it."""
    if person.get("role") in _SYSTEM_ROLES or not person.get("name"):
        return person
    mark()
    if sees_person(viewer if viewer is not None else reader(), person):
        return person
    return {**person, "name": mask_name(person["name"])}


def people_in(value: Any, viewer: Any = None) -> Any:
    """VALUE with every person reference in it (at any depth) masked for VIEWER."""
    viewer = viewer if viewer is not None else reader()
    if is_person_ref(value):
        return person_ref(value, viewer)
    if isinstance(value, dict):
        return {k: people_in(v, viewer) for k, v in value.items()}
    if isinstance(value, list):
        return [people_in(v, viewer) for v in value]
    return value


_FIELD_MASKS: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: mask_name(v) if isinstance(v, str) else v,
    "first_name": lambda v: mask_name(v) if isinstance(v, str) else v,
    "last_name": lambda v: mask_name(v) if isinstance(v, str) else v,
    "holder_name": lambda v: mask_name(v) if isinstance(v, str) else v,
    "phone": lambda v: mask_phone(v) if isinstance(v, str) else v,
    "contact": lambda v: mask_phone(v) if isinstance(v, str) else v,
    "grantee_phone": lambda v: mask_phone(v) if isinstance(v, str) else v,
    "id_number": lambda v: mask_resident_id(v) if isinstance(v, str) else v,
    "credit_code": lambda v: mask_resident_id(v) if isinstance(v, str) else v,
    "email": lambda v: mask_email(v) if isinstance(v, str) else v,
    "address": lambda v: mask_address(v) if isinstance(v, str) else v,
}
_NEVER_SHOWN = frozenset({"password", "password_hash"})
# Names that are not a person's: kept as they are wherever they appear in a record.
_NOT_PERSONAL_PARENTS = frozenset({"matter", "department", "category", "enterprise_name"})


def personal_fields(value: Any) -> Any:
    """VALUE with every personal field at any depth masked (for records nobody needs in
    full: audit before/after and detail). Free text is redacted too."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _NEVER_SHOWN:
                continue
            if key in _FIELD_MASKS and not isinstance(item, dict | list):
                out[key] = _FIELD_MASKS[key](item)
            elif key in _NOT_PERSONAL_PARENTS:
                out[key] = item
            else:
                out[key] = personal_fields(item)
        return out
    if isinstance(value, list):
        return [personal_fields(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def audit_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit record as the admin log shows it: what changed, personal values masked."""
    mark()
    view = dict(entry)
    for key in ("before", "after", "detail"):
        if view.get(key) is not None:
            view[key] = personal_fields(view[key])
    if isinstance(view.get("actor"), dict):
        view["actor"] = person_ref(view["actor"]) if view["actor"].get("name") else view["actor"]
    return view


def cache_rule(response: Response) -> Response:
    """after_request: `Cache-Control: no-store` on every response that may carry personal
    data (a signed-in caller, a write, a token, or a marked response) unless the view set its
    own caching; anonymous reads of public data (catalogue, public stats) stay cacheable."""
    if "Cache-Control" in response.headers:
        return response
    personal = (
        request.method not in ("GET", "HEAD")
        or "Authorization" in request.headers
        or request.environ.get(_MARK, False)
    )
    if personal:
        response.headers["Cache-Control"] = "no-store"
    return response
