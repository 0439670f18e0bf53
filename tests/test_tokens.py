"""Access tokens: pinned algorithm, issuer/audience, kid from a rotatable key set, expiry,
and a refresh token is never an access token."""

import json
import time
from datetime import timedelta

import jwt
import pytest

from app import clock
from app.accounts import tokens
from tests.conftest import TEST_KEYS, assert_envelope, make_settings

SECRET = "t" * 48


def claims(**overrides):
    now = int(clock.now().timestamp())
    base = {
        "iss": "onevisit",
        "aud": "onevisit-api",
        "sub": "",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "j1",
        "typ": "access",
        "role": "resident",
    }
    base.update(overrides)
    return base


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_valid_token_is_accepted(users, client):
    resident = users.resident()
    token = jwt.encode(
        claims(sub=resident.id), SECRET, algorithm="HS256", headers={"kid": "test-1"}
    )
    assert me(client, token).status_code == 200


def test_alg_none_is_refused(users, client):
    resident = users.resident()
    token = jwt.encode(claims(sub=resident.id), None, algorithm="none", headers={"kid": "test-1"})
    assert_envelope(me(client, token), 401)


def test_token_signed_with_another_key_is_refused(users, client):
    resident = users.resident()
    token = jwt.encode(
        claims(sub=resident.id), "x" * 48, algorithm="HS256", headers={"kid": "test-1"}
    )
    assert_envelope(me(client, token), 401)


def test_unknown_kid_is_refused(users, client):
    resident = users.resident()
    token = jwt.encode(
        claims(sub=resident.id), SECRET, algorithm="HS256", headers={"kid": "nobody"}
    )
    assert_envelope(me(client, token), 401)


def test_expired_token_is_refused(users, client):
    resident = users.resident()
    token = jwt.encode(
        claims(sub=resident.id, exp=int(time.time()) - 1),
        SECRET,
        algorithm="HS256",
        headers={"kid": "test-1"},
    )
    response = me(client, token)
    assert_envelope(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_login_token_expires_after_its_ttl(users, client):
    clock.freeze(clock.now())
    resident = users.resident()
    assert resident.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(seconds=901))
    assert_envelope(resident.get("/api/v1/me"), 401)


@pytest.mark.parametrize(
    "bad", [{"aud": "other"}, {"iss": "evil"}, {"typ": "refresh"}, {"typ": None}]
)
def test_wrong_audience_issuer_or_type_is_refused(users, client, bad):
    resident = users.resident()
    token = jwt.encode(
        claims(sub=resident.id, **bad), SECRET, algorithm="HS256", headers={"kid": "test-1"}
    )
    assert_envelope(me(client, token), 401)


def test_refresh_token_used_as_access_token_is_refused(users, client):
    resident = users.resident()
    pair = client.post(
        "/api/v1/auth/login",
        json={"phone": resident.user["phone"], "password": "OneVisit-demo-2026"},
    )
    assert_envelope(me(client, pair.get_json()["refresh_token"]), 401)


def test_token_of_a_disabled_user_is_refused(app, users, db):
    resident = users.resident()
    db.users.update_one({"_id": resident.user["_id"]}, {"$set": {"disabled": True}})
    assert_envelope(resident.get("/api/v1/me"), 401)


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic abc", "Bearer a.b.c"])
def test_missing_or_malformed_authorization_is_401(client, header):
    assert_envelope(client.get("/api/v1/me", headers={"Authorization": header}), 401)


def test_rotation_keeps_old_tokens_valid_for_the_overlap_then_stops(db_server, tmp_path):
    settings = make_settings(db_server, tmp_path)
    old = tokens.parse_keys(TEST_KEYS, "test")
    clock.freeze(clock.now())
    rotated = tokens.rotate_keys(old, timedelta(hours=1))
    assert rotated[0].kid != "test-1" and rotated[1].kid == "test-1"
    service = tokens.TokenService(rotated, settings)
    new_token = service.issue_access("sub", "resident")
    assert jwt.get_unverified_header(new_token)["kid"] == rotated[0].kid
    assert service.verify_access(new_token)["sub"] == "sub"

    clock.advance(timedelta(minutes=50))  # inside the overlap: old-key tokens still verify
    old_token = tokens.TokenService(old, settings).issue_access("sub", "resident")
    assert service.verify_access(old_token)["sub"] == "sub"

    clock.advance(timedelta(minutes=11))  # overlap over: the old key no longer verifies
    with pytest.raises(tokens.TokenError, match="retired"):
        service.verify_access(old_token)


def test_key_rotation_command_rewrites_the_key_file(app, tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(TEST_KEYS)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["keys", "rotate", "--file", str(path), "--overlap-seconds", "3600"]
    )
    assert result.exit_code == 0, result.output
    keys = json.loads(path.read_text())
    assert len(keys) == 2 and keys[1]["kid"] == "test-1" and keys[1]["verify_until"]
    assert keys[0]["verify_until"] is None


def test_short_or_malformed_key_sets_stop_start_up():
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="shorter"):
        tokens.parse_keys(json.dumps([{"kid": "a", "secret": "short"}]), "env")
    with pytest.raises(ConfigError):
        tokens.parse_keys("not json", "env")
    with pytest.raises(ConfigError, match="empty"):
        tokens.parse_keys("[]", "env")


def test_each_request_is_its_own_user_even_in_a_shared_app_context(app, users):
    first, second = users.resident(), users.resident()
    with app.app_context():  # a reused context must not carry the previous caller along
        assert first.get("/api/v1/me").get_json()["id"] == first.id
        assert second.get("/api/v1/me").get_json()["id"] == second.id
