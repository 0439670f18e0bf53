"""Verifiable e-certificates (API.md): a holder's presentation token verifies online for anyone
and offline with the published key; rotation keeps older tokens verifiable; tampered, foreign,
expired and revoked tokens answer valid: false with a reason, never 500; every verification is
in the holder's access log."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from bson import ObjectId
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app import clock, signing
from app.wallet import certificates
from tests.conftest import assert_envelope

WALLET = "/api/v1/me/certificates"


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.unfreeze()


@pytest.fixture
def holder(app, users):
    from tests.conftest import ensure_department

    api = users.resident(name="Zhang Wei")
    with app.app_context():
        ensure_department("PSB-330100")
        cert = certificates.issue(
            ObjectId(api.id), "Zhang Wei", "resident_id_card", "PSB-330100", {"n": 1}, None
        )
    api.certificate_id = str(cert["_id"])
    return api


def present(api, certificate_id: str | None = None):
    response = api.post(f"{WALLET}/{certificate_id or api.certificate_id}/presentations")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def verify(anon, token: str) -> dict:
    response = anon.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_presentation_verifies_for_anyone_and_the_holder_sees_the_verification(holder, anon):
    made = present(holder)
    assert set(made) >= {"token", "qr_payload", "expires_at"}
    assert made["qr_payload"].endswith("/api/v1/verify/" + made["token"])
    answer = verify(anon, made["token"])
    assert answer["valid"] is True and answer["reason"] is None
    assert answer["type"] == "resident_id_card" and answer["issuer"] == "PSB-330100"
    assert answer["revoked"] is False and answer["expires_at"] == made["expires_at"]
    assert answer["holder"]["name"] != "Zhang Wei" and answer["holder"]["name"].startswith("Z")
    assert answer["issued_at"]
    log = holder.get(f"{WALLET}/{holder.certificate_id}/access-log").get_json()["items"]
    assert log[0]["kind"] == "verification"
    assert log[0]["presentation"]["valid"] is True and log[0]["case"] is None


def test_a_token_verified_offline_with_the_published_key(holder, anon):
    made = present(holder)
    keys = anon.get("/.well-known/jwks.json").get_json()["keys"]
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys)
    kid = jwt.get_unverified_header(made["token"])["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    claims = jwt.decode(made["token"], jwt.PyJWK(jwk).key, algorithms=["EdDSA"])
    assert claims["sub"] == holder.certificate_id
    assert claims["cert"]["type"] == "resident_id_card"
    assert claims["cert"]["holder"]["name"] != "Zhang Wei"


def test_a_key_rotation_keeps_older_tokens_verifiable(app, holder, anon):
    before = present(holder)
    app.extensions["signing_keys"] = signing.rotate(app.extensions["signing_keys"])
    after = present(holder)
    old_kid = jwt.get_unverified_header(before["token"])["kid"]
    new_kid = jwt.get_unverified_header(after["token"])["kid"]
    assert old_kid != new_kid == app.extensions["signing_keys"].keys[0].kid
    assert verify(anon, before["token"])["valid"] is True
    assert verify(anon, after["token"])["valid"] is True
    kids = {k["kid"] for k in anon.get("/.well-known/jwks.json").get_json()["keys"]}
    assert {old_kid, new_kid} <= kids


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_foreign_and_malformed_tokens_answer_invalid_with_a_reason(app, holder, anon):
    token = present(holder)["token"]
    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = _b64({**claims, "cert": {**claims["cert"], "type": "passport"}})
    assert verify(anon, f"{header}.{forged}.{signature}")["reason"] == "bad_signature"
    kid = jwt.get_unverified_header(token)["kid"]
    foreign = jwt.encode(claims, Ed25519PrivateKey.generate(), "EdDSA", headers={"kid": kid})
    assert verify(anon, foreign)["reason"] == "bad_signature"
    stranger = jwt.encode(claims, Ed25519PrivateKey.generate(), "EdDSA", headers={"kid": "x"})
    assert verify(anon, stranger)["reason"] == "unknown_key"
    hs = jwt.encode(claims, "k" * 40, "HS256", headers={"kid": kid})
    assert verify(anon, hs)["reason"] == "unsupported_algorithm"
    keys = app.extensions["signing_keys"]
    other_issuer = jwt.encode(
        {**claims, "iss": "elsewhere"}, keys.keys[0].private, "EdDSA", headers={"kid": kid}
    )
    assert verify(anon, other_issuer)["reason"] == "foreign_issuer"
    for junk in ("abc", "a.b.c", "%00", "x" * 5000, f"{header}.{payload}"):
        answer = verify(anon, junk)
        assert answer["valid"] is False and answer["reason"] in ("malformed", "bad_signature")
    # None of these proves anything about the certificate: none is in the holder's log.
    assert holder.get(f"{WALLET}/{holder.certificate_id}/access-log").get_json()["items"] == []


def test_an_expired_token_and_a_revoked_certificate(app, holder, anon, db):
    made = present(holder)
    ttl = app.extensions["settings"].rules.presentation_ttl_seconds
    clock.freeze(clock.now() + timedelta(seconds=ttl + 1))
    expired = verify(anon, made["token"])
    assert expired["valid"] is False and expired["reason"] == "expired"
    clock.unfreeze()
    fresh = present(holder)
    db.certificates.update_one(
        {"_id": ObjectId(holder.certificate_id)}, {"$set": {"status": "revoked"}}
    )
    revoked = verify(anon, fresh["token"])
    assert revoked["valid"] is False and revoked["reason"] == "revoked"
    assert revoked["revoked"] is True
    assert_envelope(holder.post(f"{WALLET}/{holder.certificate_id}/presentations"), 409)


def test_only_the_holder_presents_and_retries_get_the_same_token(holder, users, anon, db):
    other = users.resident()
    assert_envelope(other.post(f"{WALLET}/{holder.certificate_id}/presentations"), 404)
    assert_envelope(anon.post(f"{WALLET}/{holder.certificate_id}/presentations"), 401)
    headers = {"Idempotency-Key": "present-1"}
    first = holder.post(f"{WALLET}/{holder.certificate_id}/presentations", headers=headers)
    again = holder.post(f"{WALLET}/{holder.certificate_id}/presentations", headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["token"] == again.get_json()["token"]
    audit = db.audit.count_documents(
        {"action": "certificate.present", "subject.id": holder.certificate_id}
    )
    assert audit == 1


def test_the_rotate_signing_command_keeps_the_old_key_in_the_file(app, tmp_path):
    path = tmp_path / "signing.json"
    first = signing.new_key()
    path.write_text(signing.serialize([first]))
    result = app.test_cli_runner().invoke(args=["keys", "rotate-signing", "--file", str(path)])
    assert result.exit_code == 0, result.output
    rotated = signing.parse(path.read_text(), str(path))
    assert len(rotated.keys) == 2 and rotated.keys[1].kid == first.kid
    assert json.loads(result.output)["signing_kid"] == rotated.keys[0].kid
