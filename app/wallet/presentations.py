"""Verifiable presentations of wallet certificates (API.md "Verifiable e-certificates").

A holder makes a short-lived presentation token of one of their certificates: a JWS (compact
JWT, EdDSA over Ed25519, PyJWT + cryptography) signed with the server's signing key set
(app/signing.py; its `kid` names the key). Anyone verifies it with `GET /verify/{token}`, or
offline with the public keys at `/.well-known/jwks.json`. A rotation puts a new key first and
keeps the old ones in the set, so a token signed before it still verifies until it expires.

Claims: `iss` (this service), `sub` (the certificate id), `jti` (the presentation id), `iat`,
`exp` (DomainRules presentation_ttl_seconds later), `typ: "presentation"`, and `cert`: type,
number, issuer (department code and name), issued_at, valid_until, holder (masked name).
What a token says is fixed when it is made; whether the certificate was revoked since is
looked up at verification (the answer's `revoked`), which is why an online check says more
than an offline one.

Verification never fails with 500: a malformed, tampered, foreign (unknown key, another
issuer), expired or revoked token answers `valid: false` with its `reason`. Each verification
of a token whose signature holds is logged in the certificate's access log
(`kind: "verification"`), where the holder sees it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from bson import ObjectId
from flask import current_app, has_request_context, request

from app import audit, clock, i18n, store
from app.accounts.auth import Principal
from app.accounts.identity import mask_name
from app.db import collection
from app.http.errors import Conflict
from app.signing import KeySet
from app.wallet import certificates
from app.wallet import repository as repo

ALGORITHM = "EdDSA"
TOKEN_TYPE = "presentation"
MAX_TOKEN_LENGTH = 4096
# Why a token does not verify (the answer's `reason`).
REASONS = (
    "malformed",
    "unsupported_algorithm",
    "unknown_key",
    "bad_signature",
    "foreign_issuer",
    "expired",
    "unknown_certificate",
    "revoked",
)


def _keys() -> KeySet:
    return current_app.extensions["signing_keys"]


def _settings() -> Any:
    return current_app.extensions["settings"]


def _issuer() -> str:
    return _settings().jwt_issuer


def _qr_payload(token: str) -> str:
    base = _settings().public_url
    if not base:
        base = request.host_url if has_request_context() else "/"
    return base.rstrip("/") + "/api/v1/verify/" + token


def is_revoked(certificate: dict[str, Any]) -> bool:
    return certificate.get("status") == "revoked" or bool(certificate.get("revoked"))


def create(holder: Principal, certificate_id: str) -> dict[str, Any]:
    """A presentation token of HOLDER's certificate (another's id: 404; revoked: 409)."""
    certificate = certificates.get_own(holder, certificate_id)
    if is_revoked(certificate):
        raise Conflict("This certificate is revoked; it cannot be presented.")
    now = clock.now().replace(microsecond=0)
    expires = now + timedelta(seconds=_settings().rules.presentation_ttl_seconds)
    key = _keys().keys[0]
    jti = uuid.uuid4().hex
    claims = {
        "iss": _issuer(),
        "sub": str(certificate["_id"]),
        "jti": jti,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "typ": TOKEN_TYPE,
        "cert": {
            "type": certificate["type"],
            "number": certificate["number"],
            "issuer": certificate["issuer"],
            # The official (zh-CN) name: a verifier reads the token offline, with no language.
            "issuer_name": i18n.localized(certificate["issuer_name"], i18n.DEFAULT_LANGUAGE),
            "issued_at": clock.iso(certificate["issued_at"]),
            "valid_until": (
                clock.iso(certificate["valid_until"]) if certificate.get("valid_until") else None
            ),
            "holder": {"name": mask_name(certificate["holder_name"])},
        },
    }
    token = jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})
    doc = {
        "_id": jti,
        "certificate_id": certificate["_id"],
        "holder_id": certificate["holder_id"],
        "kid": key.kid,
        "token": token,
        "qr_payload": _qr_payload(token),
        "created_at": now,
        "expires_at": expires,
        "purge_at": expires + timedelta(days=1),
    }
    entry = audit.entry(
        "certificate.present",
        "certificate",
        certificate["_id"],
        detail={"presentation": jti, "kid": key.kid, "expires_at": clock.iso(expires)},
    )
    return store.insert(collection("presentations"), doc, [entry])


def _invalid(reason: str, claims: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = _answer(claims) if claims else _answer({})
    answer.update(valid=False, reason=reason)
    return answer


def _answer(claims: dict[str, Any]) -> dict[str, Any]:
    found = claims.get("cert")
    cert: dict[str, Any] = found if isinstance(found, dict) else {}
    named = cert.get("holder")
    holder: dict[str, Any] = named if isinstance(named, dict) else {}
    exp = claims.get("exp")
    return {
        "valid": False,
        "reason": None,
        "certificate_id": claims.get("sub"),
        "type": cert.get("type"),
        "number": cert.get("number"),
        "issuer": i18n.localized(cert.get("issuer_name")),
        "issuer_code": cert.get("issuer"),
        "issued_at": cert.get("issued_at"),
        "valid_until": cert.get("valid_until"),
        "holder": {"name": holder.get("name")},
        "revoked": None,
        "expires_at": (
            clock.iso(datetime.fromtimestamp(exp, UTC)) if isinstance(exp, int | float) else None
        ),
    }


def verify(token: str) -> dict[str, Any]:
    """What TOKEN proves, checked now: signature (by its kid, among the set's keys), issuer,
    expiry, and the certificate's current revocation. Never raises on any input."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return _invalid("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return _invalid("malformed")
    if header.get("alg") != ALGORITHM:
        return _invalid("unsupported_algorithm")
    kid = header.get("kid")
    key = _keys().by_kid.get(kid) if isinstance(kid, str) else None
    if key is None:
        return _invalid("unknown_key")
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=[ALGORITHM],
            # Times are checked below against the service clock (frozen in tests).
            options={
                "require": ["iss", "sub", "jti", "iat", "exp"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        return _invalid("bad_signature")
    except (jwt.PyJWTError, ValueError, TypeError):
        return _invalid("malformed")
    if claims.get("iss") != _issuer() or claims.get("typ") != TOKEN_TYPE:
        return _invalid("foreign_issuer")
    if not isinstance(claims.get("exp"), int | float) or not isinstance(claims.get("sub"), str):
        return _invalid("malformed")
    certificate_id = claims["sub"]
    if not ObjectId.is_valid(certificate_id):
        return _invalid("malformed", claims)
    certificate = repo.get(ObjectId(certificate_id))
    if certificate is None:
        return _invalid("unknown_certificate", claims)
    answer = _answer(claims)
    answer["revoked"] = is_revoked(certificate)
    if claims["exp"] <= clock.now().timestamp():
        answer["reason"] = "expired"
    elif answer["revoked"]:
        answer["reason"] = "revoked"
    else:
        answer["valid"] = True
    _log(certificate, str(claims["jti"]), answer)
    return answer


def _log(certificate: dict[str, Any], jti: str, answer: dict[str, Any]) -> None:
    """The verification in the certificate's access log, where the holder sees it (with its
    audit record, one write)."""
    read = {
        "_id": ObjectId(),
        "kind": "verification",
        "certificate_id": certificate["_id"],
        "holder_id": certificate["holder_id"],
        "at": clock.now(),
        "reader": {"id": None, "name": "verifier", "department": None},
        "case": None,
        "presentation": {"id": jti, "valid": answer["valid"], "reason": answer["reason"]},
    }
    repo.log_access(
        read,
        [
            audit.entry(
                "certificate.verify",
                "certificate",
                certificate["_id"],
                detail={"presentation": jti, "valid": answer["valid"], "reason": answer["reason"]},
                actor={"id": None, "role": "anonymous"},
            )
        ],
    )


def jwks() -> dict[str, Any]:
    return _keys().public_jwks()
