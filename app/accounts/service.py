"""Accounts and sessions: registration, login, refresh-token rotation with theft detection."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.errors import DuplicateKeyError

from app import audit, clock
from app.accounts import login_throttle, passwords, tokens
from app.accounts import refresh_tokens_repository as refresh_repo
from app.accounts import repository as users_repo
from app.accounts.auth import DUTIES, Principal, current_user_document
from app.accounts.identity import password_problems
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http.errors import Conflict, NotFound, Unauthorized, ValidationFailed

log = logging.getLogger("onevisit.accounts")
PROFILE_FIELDS = ("name", "id_number", "enterprise")


def _settings():
    return current_app.extensions["settings"]


def _check_password(password: str, phone: str) -> None:
    problems = password_problems(password, phone)
    if problems:
        raise ValidationFailed(
            "The password does not meet the policy.", errors={"password": problems}
        )


def _create_user(doc: dict[str, Any]) -> dict[str, Any]:
    now = clock.now()
    doc.update(created_at=now, updated_at=now, devices=[], disabled=False)
    try:
        doc["_id"] = users_repo.insert(doc)
    except DuplicateKeyError as exc:
        raise Conflict(
            "An account with this phone number exists already.",
            errors={"phone": ["Already registered."]},
        ) from exc
    return doc


def register(data: dict[str, Any]) -> dict[str, Any]:
    _check_password(data["password"], data["phone"])
    kind = data["kind"]
    if kind == "enterprise" and not data.get("enterprise"):
        raise ValidationFailed(
            "An enterprise account needs its name and credit code.",
            errors={"enterprise": ["Missing data for required field."]},
        )
    if kind == "person" and data.get("enterprise"):
        raise ValidationFailed(
            "Only enterprise accounts carry enterprise data.",
            errors={"enterprise": ["Not allowed for a person."]},
        )
    doc = {
        "phone": data["phone"],
        "password_hash": passwords.hash_password(data["password"]),
        "name": data["name"],
        "kind": kind,
        "role": "enterprise" if kind == "enterprise" else "resident",
        "id_number": data.get("id_number"),
        "enterprise": data.get("enterprise"),
    }
    user = _create_user(doc)
    audit.record(
        "user.register",
        "user",
        user["_id"],
        after={"role": user["role"]},
        actor={"id": str(user["_id"]), "role": user["role"]},
    )
    return user


def create_user(data: dict[str, Any]) -> dict[str, Any]:
    """Admins create staff, supervisors and other admins."""
    role = data["role"]
    _check_password(data["password"], data["phone"])
    doc: dict[str, Any] = {
        "phone": data["phone"],
        "password_hash": passwords.hash_password(data["password"]),
        "name": data["name"],
        "role": role,
        "kind": "person",
    }
    errors: dict[str, list[str]] = {}
    if role == "staff":
        department = departments_repo.get(data.get("department") or "")
        duties = sorted(set(data.get("duties") or []))
        if department is None:
            errors["department"] = ["Staff need an existing department."]
        if not duties or not set(duties) <= set(DUTIES):
            errors["duties"] = [f"Staff need one or more of: {', '.join(DUTIES)}."]
        if department is not None:
            doc.update(
                department=department["_id"],
                duties=duties,
                region=department["region"],
                region_path=department["region_path"],
            )
    elif role == "supervisor":
        region = data.get("region")
        if not region or regions_repo.get(region) is None:
            errors["region"] = ["Supervisors need an existing region."]
        else:
            doc.update(region=region, region_path=ancestors(region))
    for field in ("department", "duties"):
        if role != "staff" and data.get(field):
            errors[field] = [f"Only staff have a {field}."]
    if role not in ("supervisor", "staff") and data.get("region"):
        errors["region"] = ["Only supervisors are scoped to a region."]
    if errors:
        raise ValidationFailed("The user cannot be created.", errors=errors)
    user = _create_user(doc)
    audit.record(
        "user.create",
        "user",
        user["_id"],
        after={k: doc.get(k) for k in ("role", "department", "duties", "region")},
    )
    return user


def ensure_admin(phone: str, password: str) -> dict[str, Any]:
    """Start-up: make sure this admin exists with this password (idempotent)."""
    existing = users_repo.find_by_phone(phone)
    if existing is None:
        return create_user(
            {"phone": phone, "password": password, "name": "Administrator", "role": "admin"}
        )
    changes: dict[str, Any] = {}
    if existing.get("role") != "admin":
        changes["role"] = "admin"
    if not passwords.verify_password(existing.get("password_hash"), password):
        changes["password_hash"] = passwords.hash_password(password)
    if changes:
        existing = users_repo.update(existing["_id"], changes) or existing
        audit.record(
            "user.ensure_admin",
            "user",
            existing["_id"],
            after={"role": "admin"},
            actor={"id": None, "role": "system"},
        )
    return existing


def _issue_pair(user: dict[str, Any], family: str | None = None) -> dict[str, Any]:
    settings = _settings()
    service: tokens.TokenService = current_app.extensions["tokens"]
    refresh = tokens.new_refresh_secret()
    refresh_repo.insert(
        tokens.refresh_digest(refresh),
        user["_id"],
        family or uuid.uuid4().hex,
        clock.now() + timedelta(seconds=settings.refresh_token_ttl),
    )
    return {
        "access_token": service.issue_access(str(user["_id"]), user["role"]),
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": settings.access_token_ttl,
    }


def login(phone: str, password: str, address: str) -> dict[str, Any]:
    """A token pair for PHONE and PASSWORD, throttled per phone and ADDRESS (login_throttle)."""
    known = login_throttle.check(phone, address)
    user = users_repo.find_by_phone(phone)
    # Same answer, same work for an unknown phone and a wrong password.
    ok = passwords.verify_password(user.get("password_hash") if user else None, password)
    if user is None or not ok or user.get("disabled"):
        login_throttle.failed(phone, address, known)
        raise Unauthorized("The phone number or password is wrong.")
    login_throttle.succeeded(phone, address)
    if passwords.needs_rehash(user["password_hash"]):
        users_repo.set_password_hash(user["_id"], passwords.hash_password(password))
    return _issue_pair(user)


def refresh(refresh_token: str) -> dict[str, Any]:
    digest = tokens.refresh_digest(refresh_token)
    record = refresh_repo.get(digest)
    if record is None:
        raise Unauthorized("The refresh token is invalid or expired.")
    if not refresh_repo.mark_used(digest):
        # Expired or revoked: just refused. Used already (possibly a moment ago by a twin
        # request): whoever holds the family may be a thief, so the family ends. A client
        # that lost the answer to a refresh signs in again; strictness wins over convenience.
        current = refresh_repo.get(digest) or record
        if current.get("used_at") is not None:
            revoked = refresh_repo.revoke_family(record["family"])
            audit.record(
                "auth.refresh_reuse",
                "user",
                record["user_id"],
                detail={"family": record["family"], "revoked": revoked},
                actor={"id": str(record["user_id"]), "role": "unknown"},
            )
            log.warning(
                "refresh token reuse; family revoked", extra={"user_id": str(record["user_id"])}
            )
        raise Unauthorized("The refresh token is invalid or expired.")
    user = users_repo.get(record["user_id"])
    if user is None or user.get("disabled"):
        raise Unauthorized("The refresh token is invalid or expired.")
    return _issue_pair(user, family=record["family"])


def logout(user: Principal, refresh_token: str) -> None:
    record = refresh_repo.get(tokens.refresh_digest(refresh_token))
    if record is None or str(record["user_id"]) != user.id:
        return  # Logging out twice, or someone else's token: nothing to do, nothing to reveal.
    refresh_repo.revoke_family(record["family"])
    audit.record("auth.logout", "user", user.id, detail={"family": record["family"]})


def profile(user: Principal) -> dict[str, Any]:
    doc = current_user_document()  # read once per request, by authentication
    if doc is None or doc["_id"] != user.oid:
        doc = users_repo.get(user.oid)
    if doc is None:
        raise NotFound()
    return doc


def update_profile(user: Principal, changes: dict[str, Any]) -> dict[str, Any]:
    before = profile(user)
    if "password" in changes:
        current = changes.pop("current_password", None)
        if not current or not passwords.verify_password(before.get("password_hash"), current):
            raise ValidationFailed(
                "The current password is needed to set a new one.",
                errors={"current_password": ["Wrong or missing."]},
            )
        _check_password(changes["password"], before["phone"])
        changes["password_hash"] = passwords.hash_password(changes.pop("password"))
    changes.pop("current_password", None)
    if "enterprise" in changes and before.get("kind") != "enterprise":
        raise ValidationFailed(
            "Only enterprise accounts carry enterprise data.",
            errors={"enterprise": ["Not allowed for a person."]},
        )
    updated = users_repo.update(user.oid, changes) or before
    if "password_hash" in changes:
        refresh_repo.revoke_user(user.oid)
    audit.record(
        "user.update",
        "user",
        user.id,
        before={k: before.get(k) for k in changes if k != "password_hash"},
        after={k: updated.get(k) for k in changes if k != "password_hash"},
    )
    return updated


def register_device(user: Principal, platform: str, token: str) -> None:
    users_repo.add_device(user.oid, platform, token)


def remove_device(user: Principal, token: str) -> None:
    if not users_repo.remove_device(user.oid, token):
        raise NotFound("No such device token on your account.")


def user_by_id(user_id: str) -> dict[str, Any] | None:
    try:
        return users_repo.get(ObjectId(user_id))
    except Exception:
        return None
