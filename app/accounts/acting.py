"""Who is acting for whom: the one resolution point of the `On-Behalf-Of` header.

A request that carries `On-Behalf-Of: <user id>` acts for that person when the signed-in
caller holds, right now, a live delegation from them (not revoked, not expired, whose scope
covers what is asked) or is the guardian of that dependant (a registered minor, who has no
login). `for_whom` answers the Principal of the person acted for, with `agent` the caller and
`matters` the service items the grant limits it to; the rules (`may_handle_matter`) and the
timeline (app/cases/workflow.py names both) read those. Without such a grant: 403. Every
blueprint that takes the header calls `for_whom`; nothing else reads it.

Scopes: `apply` (submit, read, supplement and rate applications), `apply_and_wallet` (the same
and read the wallet). A grant to a phone number applies to whoever holds an account with that
number, from the moment that account exists.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bson import ObjectId
from flask import g, request

from app import clock
from app.accounts import delegations_repository as repo
from app.accounts import repository as users_repo
from app.accounts.auth import Principal, current_user, current_user_document
from app.http.errors import Forbidden

HEADER = "On-Behalf-Of"
APPLY = "apply"
WALLET = "wallet"
SCOPES = {"apply": {APPLY}, "apply_and_wallet": {APPLY, WALLET}}
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Act for this person (their user id, or a dependant's id): needs a live "
    "delegation from them whose scope covers the call, or guardianship of the dependant; "
    "403 otherwise.",
    "schema": {"type": "string", "maxLength": 24, "pattern": "^[0-9a-f]{24}$"},
}


def resolve(user: Principal, need: str = APPLY) -> Principal:
    """Resolve this request's On-Behalf-Of once (Blueprint.on_behalf) for subject()."""
    principal = for_whom(user, need)
    g.acting_subject = principal
    return principal


def subject() -> Principal:
    """The person this request acts for (the signed-in user unless On-Behalf-Of says else)."""
    principal = g.get("acting_subject")
    return principal if principal is not None else current_user()


def for_whom(user: Principal, need: str = APPLY, matter_code: str | None = None) -> Principal:
    """The person this request acts for: USER without the header (or naming USER), else the
    grantor / dependant, when USER may act for them for NEED (and MATTER_CODE, if given)."""
    raw = request.headers.get(HEADER)
    if raw is None or raw.strip() == user.id:
        return user
    raw = raw.strip()
    if len(raw) != 24 or not ObjectId.is_valid(raw):
        raise Forbidden(f"{HEADER} must name a person who authorised you.")
    subject_id = ObjectId(raw)
    dependant = repo.get_dependant(subject_id)
    if dependant is not None and dependant["guardian_id"] == user.oid:
        return _acting(user, _dependant_document(dependant), None)
    caller = current_user_document() or users_repo.get(user.oid) or {}
    phone = caller.get("phone")
    grants = repo.live_grants(subject_id, phone, clock.now()) if phone else []
    usable = [
        grant
        for grant in grants
        if need in SCOPES[grant["scope"]]
        and (matter_code is None or not grant.get("matters") or matter_code in grant["matters"])
    ]
    grantor = users_repo.get(subject_id) if usable else None
    if grantor is None or grantor.get("disabled"):
        raise Forbidden("You have no live delegation from this person for this.")
    matters: set[str] | None = set()
    for grant in usable:
        if not grant.get("matters"):
            matters = None
            break
        assert matters is not None
        matters.update(grant["matters"])
    return _acting(user, grantor, tuple(sorted(matters)) if matters is not None else None)


def _dependant_document(dependant: dict[str, Any]) -> dict[str, Any]:
    """A dependant as the services read a person: a resident without a login."""
    return {
        "_id": dependant["_id"],
        "role": "resident",
        "kind": "person",
        "name": dependant["name"],
        "id_number": dependant["id_number"],
        "phone": None,
        "guardian_id": dependant["guardian_id"],
    }


def _acting(agent: Principal, subject: dict[str, Any], matters: tuple[str, ...] | None):
    principal = replace(Principal.from_document(subject), agent=agent, matters=matters)
    # The audit records name both (app/audit.py); the services' applicant snapshot reads this.
    g.acting_for = principal.id
    g.user_document = subject
    return principal
