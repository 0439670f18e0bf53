"""Delegations and dependants: a person lets another (by phone number) act for them within a
scope and until an expiry; a guardian registers a minor child, who has no login, and acts for
them. Who may act for whom on a request is resolved in app/accounts/acting.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.errors import DuplicateKeyError

from app import audit, clock
from app.accounts import delegations_repository as repo
from app.accounts import repository as users_repo
from app.accounts.auth import Principal, current_user_document
from app.accounts.identity import is_resident_id, mask_name, resident_id_birth_date
from app.catalogue import repository as matters_repo
from app.http.errors import Conflict, NotFound, ValidationFailed
from app.pagination import Page


def _rules() -> Any:
    return current_app.extensions["settings"].rules


def _me(user: Principal) -> dict[str, Any]:
    doc = current_user_document()
    if doc is None or doc["_id"] != user.oid:
        doc = users_repo.get(user.oid)
    if doc is None:
        raise NotFound()
    return doc


def grant(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """A delegation from USER to the holder of data["grantee_phone"] (account or not yet)."""
    me = _me(user)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if data["grantee_phone"] == me.get("phone"):
        errors["grantee_phone"] = ["You cannot delegate to yourself."]
    expires = data["expires_at"]
    if expires <= now:
        errors["expires_at"] = ["Must be in the future."]
    elif expires > now + timedelta(days=_rules().delegation_max_days):
        errors["expires_at"] = [f"At most {_rules().delegation_max_days} days ahead."]
    matters = list(dict.fromkeys(data.get("matters") or [])) or None
    unknown = [code for code in matters or [] if matters_repo.get_current(code) is None]
    if unknown:
        errors["matters"] = [f"No such service item: {code}." for code in unknown]
    if errors:
        raise ValidationFailed("The delegation is not valid; see errors.", errors=errors)
    doc = {
        "_id": ObjectId(),
        "grantor_id": user.oid,
        "grantor_name": me.get("name"),
        "grantee_phone": data["grantee_phone"],
        "scope": data["scope"],
        "matters": matters,
        "expires_at": expires,
        "created_at": now,
        "revoked_at": None,
    }
    entry = audit.entry(
        "delegation.grant",
        "delegation",
        doc["_id"],
        after={"grantee_phone": doc["grantee_phone"], "scope": doc["scope"], "matters": matters},
        detail={"expires_at": clock.iso(expires)},
    )
    return present(user, repo.insert(doc, [entry]))


def page(user: Principal, limit: int, cursor: str | None) -> Page:
    """Grants I made and grants made to my phone number, newest first."""
    me = _me(user)
    found = repo.page_for(user.oid, me.get("phone"), limit, cursor)
    return Page([present(user, d) for d in found.items], found.next_cursor)


def revoke(user: Principal, delegation_id: str) -> None:
    """The grantor revokes (or the grantee gives up) a grant: it stops at once."""
    doc = _visible(user, delegation_id)
    if doc.get("revoked_at") is not None:
        return
    entry = audit.entry(
        "delegation.revoke",
        "delegation",
        doc["_id"],
        before={"revoked_at": None},
        detail={"by": "grantor" if doc["grantor_id"] == user.oid else "grantee"},
    )
    repo.revoke(doc["_id"], clock.now(), [entry])


def _visible(user: Principal, delegation_id: str) -> dict[str, Any]:
    if len(delegation_id) != 24 or not ObjectId.is_valid(delegation_id):
        raise NotFound("No such delegation.")
    doc = repo.get(ObjectId(delegation_id))
    if doc is None:
        raise NotFound("No such delegation.")
    if doc["grantor_id"] != user.oid and doc["grantee_phone"] != _me(user).get("phone"):
        raise NotFound("No such delegation.")
    return doc


def status_of(doc: dict[str, Any]) -> str:
    if doc.get("revoked_at") is not None:
        return "revoked"
    return "expired" if doc["expires_at"] <= clock.now() else "live"


def present(user: Principal, doc: dict[str, Any]) -> dict[str, Any]:
    mine = doc["grantor_id"] == user.oid
    return {
        **doc,
        "direction": "granted" if mine else "received",
        # The grantee needs the grantor's id for On-Behalf-Of; names stay masked.
        "grantor": {"id": doc["grantor_id"], "name": mask_name(doc.get("grantor_name"))},
        "status": status_of(doc),
    }


# ------------------------------------------------------------------------------ dependants


def minor_problem(id_number: str, today: date) -> str | None:
    """Why ID_NUMBER cannot be a dependant's: not a valid GB 11643 number, or not a minor."""
    if not is_resident_id(id_number, today):
        return "Not a valid resident ID number."
    birth = resident_id_birth_date(id_number)
    adult = _rules().adult_age_years
    try:
        adult_on = birth.replace(year=birth.year + adult)
    except ValueError:  # born on 29 February
        adult_on = date(birth.year + adult, 3, 1)
    if today >= adult_on:
        return f"A dependant must be under {adult}."
    return None


def add_dependant(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    id_number = data["id_number"].upper()
    problem = minor_problem(id_number, clock.now().date())
    if problem:
        raise ValidationFailed(problem, errors={"id_number": [problem]})
    doc = {
        "_id": ObjectId(),
        "guardian_id": user.oid,
        "name": data["name"],
        "id_number": id_number,
        "birth_date": resident_id_birth_date(id_number).isoformat(),
        "created_at": clock.now(),
    }
    entry = audit.entry(
        "dependant.register",
        "dependant",
        doc["_id"],
        after={"name": doc["name"], "id_number": id_number},
    )
    try:
        return repo.insert_dependant(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            "You registered this child already.", errors={"id_number": ["Already registered."]}
        ) from exc


def dependants(user: Principal) -> list[dict[str, Any]]:
    return repo.dependants_of(user.oid)
