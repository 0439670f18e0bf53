"""Accounts and sessions: registration, login, refresh-token rotation with theft detection."""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.errors import DuplicateKeyError

from app import audit, clock, store
from app.accounts import erasure, login_throttle, passwords, tokens
from app.accounts import refresh_tokens_repository as refresh_repo
from app.accounts import repository as users_repo
from app.accounts.auth import DUTIES, Principal, current_user_document
from app.accounts.identity import password_problems
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    ValidationFailed,
)

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


def _create_user(doc: dict[str, Any], action: str, after: dict[str, Any], **kw: Any) -> dict:
    """Insert the account with its audit record, in one write."""
    now = clock.now()
    doc.setdefault("_id", ObjectId())
    doc.update(created_at=now, updated_at=now, devices=[], disabled=False)
    entry = audit.entry(action, "user", doc["_id"], after=after, **kw)
    try:
        return users_repo.insert(doc, [entry])
    except DuplicateKeyError as exc:
        raise Conflict(
            "An account with this phone number exists already.",
            errors={"phone": ["Already registered."]},
        ) from exc


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
    doc["_id"] = ObjectId()
    return _create_user(
        doc,
        "user.register",
        after={"role": doc["role"]},
        actor={"id": str(doc["_id"]), "role": doc["role"]},
    )


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
    return _create_user(
        doc,
        "user.create",
        after={k: doc.get(k) for k in ("role", "department", "duties", "region")},
    )


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
        entry = audit.entry(
            "user.ensure_admin",
            "user",
            existing["_id"],
            after={"role": "admin"},
            actor={"id": None, "role": "system"},
        )
        existing = users_repo.update(existing["_id"], changes, [entry]) or existing
    return existing


def _pair(
    user: dict[str, Any],
    refresh_token: str,
    *,
    issued_at: datetime | None = None,
    kid: str | None = None,
) -> dict[str, Any]:
    settings = _settings()
    service: tokens.TokenService = current_app.extensions["tokens"]
    issued = issued_at or clock.now()
    access = service.issue_access(
        str(user["_id"]),
        user["role"],
        issued_at=issued,
        # Derived from the refresh token it travels with, so a retried rotation re-signs the
        # very same access token (a random jti would make it a second one).
        jti=tokens.access_jti(refresh_token),
        kid=kid,
    )
    remaining = int(issued.timestamp()) + settings.access_token_ttl - int(clock.now().timestamp())
    return {
        "access_token": access,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": max(0, remaining),
    }


def _new_session(user: dict[str, Any]) -> dict[str, Any]:
    refresh_token = tokens.new_refresh_secret()
    refresh_repo.insert(
        tokens.refresh_digest(refresh_token),
        user["_id"],
        uuid.uuid4().hex,
        clock.now() + timedelta(seconds=_settings().refresh_token_ttl),
    )
    return _pair(user, refresh_token)


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
    return _new_session(user)


def _active_user(user_id: ObjectId) -> dict[str, Any]:
    user = users_repo.get(user_id)
    if user is None or user.get("disabled"):
        raise Unauthorized("The refresh token is invalid or expired.")
    return user


def refresh(refresh_token: str, *, user_agent: str, address: str) -> dict[str, Any]:
    """Rotate REFRESH_TOKEN. The rotating client is remembered (as a keyed fingerprint of its
    USER_AGENT and ADDRESS) so that its own retry within the grace window gets the same pair."""
    digest = tokens.refresh_digest(refresh_token)
    record = refresh_repo.get(digest)
    if record is None:
        raise Unauthorized("The refresh token is invalid or expired.")
    service: tokens.TokenService = current_app.extensions["tokens"]
    kid = service.signing_kid
    successor = service.refresh_successor(refresh_token, kid)
    assert successor is not None  # the signing key always verifies
    now = clock.now()
    won = refresh_repo.mark_used(
        digest,
        at=now,
        successor=tokens.refresh_digest(successor),
        client=service.client_fingerprint(user_agent, address, kid),
        kid=kid,
    )
    if won:
        user = _active_user(record["user_id"])
        refresh_repo.insert(
            tokens.refresh_digest(successor),
            record["user_id"],
            record["family"],
            now + timedelta(seconds=_settings().refresh_token_ttl),
        )
        # A reuse seen by a concurrent request may have revoked the family between our two
        # writes, before the successor existed: look again, so no live token outlives it.
        if (refresh_repo.get(digest) or {}).get("revoked_at") is not None:
            refresh_repo.revoke_family(record["family"])
            raise Unauthorized("The refresh token is invalid or expired.")
        return _pair(user, successor, issued_at=now, kid=kid)
    # Expired or revoked: just refused. Used already: the same client's retry of a rotation
    # whose answer it lost (within the grace window, before the new pair was used) gets that
    # pair again; anything else means whoever holds the family may be a thief, so it ends.
    current = refresh_repo.get(digest) or record
    if current.get("used_at") is None:
        raise Unauthorized("The refresh token is invalid or expired.")
    retried = _retried_rotation(refresh_token, current, user_agent, address)
    if retried is not None:
        return retried
    entry = audit.entry(
        "auth.refresh_reuse",
        "user",
        record["user_id"],
        detail={"family": record["family"]},
        actor={"id": str(record["user_id"]), "role": "unknown"},
    )
    _revoke_with_audit(record["user_id"], record["family"], entry)
    log.warning("refresh token reuse; family revoked", extra={"user_id": str(record["user_id"])})
    raise Unauthorized("The refresh token is invalid or expired.")


def _retried_rotation(
    refresh_token: str, record: dict[str, Any], user_agent: str, address: str
) -> dict[str, Any] | None:
    """The pair the rotation of RECORD handed out, when this presentation is its client's
    retry (RFC 9700 4.14.2 keeps reuse detection; a lost answer is not theft); else None."""
    grace = _settings().refresh_grace_seconds
    used_at, kid = record["used_at"], record.get("kid")
    if grace <= 0 or record.get("revoked_at") is not None or not record.get("successor") or not kid:
        return None
    if clock.now() - used_at > timedelta(seconds=grace):
        return None
    service: tokens.TokenService = current_app.extensions["tokens"]
    successor = service.refresh_successor(refresh_token, kid)
    client = service.client_fingerprint(user_agent, address, kid)
    if successor is None or client is None or record.get("client") is None:
        return None  # the key that made them has been retired since
    if not hmac.compare_digest(client, record["client"]):
        return None  # another client: a thief replaying what it copied
    successor_digest = tokens.refresh_digest(successor)
    if successor_digest != record["successor"]:
        return None
    # Missing: the winning request is between its two writes; the pair is the same either way.
    following = refresh_repo.get(successor_digest)
    if following is not None and (
        following.get("used_at") is not None or following.get("revoked_at") is not None
    ):
        return None  # the new pair has been used (or ended): the old token is history
    user = _active_user(record["user_id"])
    log.info("refresh retried within the grace window", extra={"user_id": str(user["_id"])})
    return _pair(user, successor, issued_at=used_at, kid=kid)


def logout(user: Principal, refresh_token: str) -> None:
    record = refresh_repo.get(tokens.refresh_digest(refresh_token))
    if record is None or str(record["user_id"]) != user.id:
        return  # Logging out twice, or someone else's token: nothing to do, nothing to reveal.
    entry = audit.entry("auth.logout", "user", user.id, detail={"family": record["family"]})
    _revoke_with_audit(user.oid, record["family"], entry)


def _revoke_with_audit(user_id: ObjectId, family: str, entry: dict[str, Any]) -> None:
    """End a token family, then queue its audit record in the account's outbox. Not one
    transaction on purpose: a snapshot would miss a successor token a concurrent rotation
    inserts meanwhile (that rotation re-checks the old token after inserting, and must see
    this revocation at once). A crash between the two writes loses the record of a revocation
    that did happen: the safe way round."""
    refresh_repo.revoke_family(family)
    users_repo.queue(user_id, [entry])


def profile(user: Principal) -> dict[str, Any]:
    doc = current_user_document()  # read once per request, by authentication
    if doc is None or doc["_id"] != user.oid:
        doc = users_repo.get(user.oid)
    if doc is None:
        raise NotFound()
    return doc


def _profile_changed() -> PreconditionFailed:
    return PreconditionFailed("Your profile changed since you read it; reload and retry.")


def update_profile(
    user: Principal, changes: dict[str, Any], expected_version: int | None = None
) -> dict[str, Any]:
    """Apply CHANGES to the caller's profile; with EXPECTED_VERSION (If-Match) only if the
    profile is still at that version (412 otherwise)."""
    before = profile(user)
    if expected_version is not None and expected_version != before.get("version", 0):
        raise _profile_changed()
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
    if "staff_notifications" in changes:
        if before.get("role") != "staff":
            raise ValidationFailed(
                "Only staff choose which work they are told of.",
                errors={"staff_notifications": ["Not allowed for your role."]},
            )
        # The kinds given change; the others keep their setting.
        changes["staff_notifications"] = {
            **(before.get("staff_notifications") or {}),
            **changes["staff_notifications"],
        }
    if "enterprise" in changes and before.get("kind") != "enterprise":
        raise ValidationFailed(
            "Only enterprise accounts carry enterprise data.",
            errors={"enterprise": ["Not allowed for a person."]},
        )
    entry = audit.entry(
        "user.update",
        "user",
        user.id,
        before={k: before.get(k) for k in changes if k != "password_hash"},
        after={k: v for k, v in changes.items() if k != "password_hash"},
    )
    if "password_hash" not in changes:
        updated = users_repo.update(user.oid, changes, [entry], expected_version=expected_version)
        if updated is None:
            raise _profile_changed()
        return updated

    def change_password(session: Any) -> dict[str, Any] | None:
        # A new password ends every session: the change and the revocation land together.
        updated = users_repo.update(user.oid, changes, [entry], session, expected_version)
        if updated is None:
            raise _profile_changed()
        refresh_repo.revoke_user(user.oid, session)
        return updated

    return store.in_transaction(change_password) or before


def register_device(user: Principal, platform: str, token: str) -> None:
    users_repo.add_device(user.oid, platform, token)


def remove_device(user: Principal, token: str) -> None:
    if not users_repo.remove_device(user.oid, token):
        raise NotFound("No such device token on your account.")


def set_disabled(admin: Principal, user_id: str, disabled: bool) -> dict[str, Any]:
    """Disable (or enable again) an account. Authentication reads the user on every request
    and a refresh checks it too, so a disabled user's live access tokens stop at once; their
    refresh tokens are revoked in the same transaction (enabling does not revive them)."""
    target = user_by_id(user_id)
    if target is None:
        raise NotFound("No such user.")
    if disabled and target["_id"] == admin.oid:
        # Only disabling oneself is refused; enabling one's own (enabled) account is the
        # idempotent no-op every other enabled account gets.
        raise Conflict("An admin may not disable their own account.")
    entry = audit.entry(
        "user.disable" if disabled else "user.enable",
        "user",
        target["_id"],
        before={"disabled": bool(target.get("disabled"))},
        after={"disabled": disabled},
    )

    def work(session: Any) -> dict[str, Any] | None:
        updated = users_repo.update(target["_id"], {"disabled": disabled}, [entry], session)
        if disabled:
            refresh_repo.revoke_user(target["_id"], session)
        return updated

    return store.in_transaction(work) or target


def close_account(user: Principal) -> None:
    """DELETE /me: the account, its devices and every token end now (one transaction with
    the closure record); the closure's outbox entry anonymises the cases the law keeps and
    removes the rest (app/accounts/erasure.py). The audit record names no personal data."""
    doc = profile(user)
    now = clock.now()
    entries = [
        audit.entry(
            "user.close",
            "user",
            user.id,
            before={"role": doc["role"], "kind": doc.get("kind")},
            detail={"closed_at": clock.iso(now)},
        ),
        erasure.entry(user.oid, doc.get("phone")),
    ]

    def work(session: Any) -> None:
        users_repo.delete(user.oid, session)
        refresh_repo.revoke_user(user.oid, session)
        users_repo.record_closure(user.oid, now, entries, session)

    store.in_transaction(work)
    log.info("account closed", extra={"user_id": user.id})


def user_by_id(user_id: str) -> dict[str, Any] | None:
    try:
        return users_repo.get(ObjectId(user_id))
    except Exception:
        return None
