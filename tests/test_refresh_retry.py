"""A phone that lost the answer to a refresh retries it: within the grace window, from the same
client and before the new pair was used, it gets the same pair; any other reuse still revokes
the whole family (RFC 9700 4.14.2), including under concurrent presentations."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from tests.conftest import PASSWORD, assert_envelope, drain, next_phone

REFRESH = "/api/v1/auth/refresh"
PHONE_UA = "OneVisit-Resident/3.2 (Android 14)"
THIEF_UA = "curl/8.5.0"


@pytest.fixture
def settings_overrides():
    return {"refresh_grace_seconds": 30}


@pytest.fixture(autouse=True)
def relay_from_db(app, db):
    """reuse_audits() drains the outbox through the app this test's database belongs to."""
    db.client.onevisit_app = app


@pytest.fixture
def frozen_now():
    # Near the real time: the embedded server's TTL monitor reads its own clock.
    clock.freeze(datetime.now(UTC))
    yield
    clock.unfreeze()


def sign_in(client) -> tuple[str, dict]:
    phone = next_phone()
    body = {"phone": phone, "password": PASSWORD, "name": "Li Lei", "kind": "person"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})
    assert response.status_code == 200
    return phone, response.get_json()


def refresh(client, token, user_agent=PHONE_UA, address="10.1.2.3"):
    return client.post(
        REFRESH,
        json={"refresh_token": token},
        headers={"User-Agent": user_agent},
        environ_base={"REMOTE_ADDR": address},
    )


def family_of(db, phone):
    user = db.users.find_one({"phone": phone})
    return list(db.refresh_tokens.find({"user_id": user["_id"]}).sort("created_at", 1)), user


def reuse_audits(db, user):
    drain(db.client.onevisit_app)  # the audit record travels in the account's outbox
    return db.audit.count_documents(
        {"action": "auth.refresh_reuse", "subject.id": str(user["_id"])}
    )


def assert_family_revoked(db, phone):
    tokens, user = family_of(db, phone)
    assert tokens and all(t["revoked_at"] is not None for t in tokens)
    assert reuse_audits(db, user) == 1


def test_a_retry_within_the_window_gets_the_same_pair(client, db, frozen_now):
    phone, first = sign_in(client)
    lost = refresh(client, first["refresh_token"])  # the answer never reached the phone
    assert lost.status_code == 200
    clock.advance(timedelta(seconds=20))
    retry = refresh(client, first["refresh_token"])
    assert retry.status_code == 200
    assert retry.get_json()["refresh_token"] == lost.get_json()["refresh_token"]
    assert retry.get_json()["access_token"] == lost.get_json()["access_token"]
    # The access token was issued 20 s ago: the answer says how long it has left.
    assert retry.get_json()["expires_in"] == lost.get_json()["expires_in"] - 20
    tokens, user = family_of(db, phone)
    assert len(tokens) == 2 and all(t["revoked_at"] is None for t in tokens)
    assert reuse_audits(db, user) == 0
    # Only digests are stored: neither the old nor the new refresh token in plain text.
    stored = str(tokens)
    assert first["refresh_token"] not in stored and lost.get_json()["refresh_token"] not in stored
    assert "10.1.2.3" not in stored and PHONE_UA not in stored
    # The pair works: the access token signs in, the refresh token rotates.
    me = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {retry.get_json()['access_token']}"}
    )
    assert me.status_code == 200
    assert refresh(client, retry.get_json()["refresh_token"]).status_code == 200


def test_a_retry_after_the_window_revokes_the_family(client, db, frozen_now):
    phone, first = sign_in(client)
    new = refresh(client, first["refresh_token"]).get_json()
    clock.advance(timedelta(seconds=31))
    assert_envelope(refresh(client, first["refresh_token"]), 401)
    assert_family_revoked(db, phone)
    assert_envelope(refresh(client, new["refresh_token"]), 401)


def test_a_retry_after_the_new_pair_was_used_revokes_the_family(client, db, frozen_now):
    phone, first = sign_in(client)
    new = refresh(client, first["refresh_token"]).get_json()
    newer = refresh(client, new["refresh_token"]).get_json()  # the phone moved on
    clock.advance(timedelta(seconds=5))
    assert_envelope(refresh(client, first["refresh_token"]), 401)
    assert_family_revoked(db, phone)
    assert_envelope(refresh(client, newer["refresh_token"]), 401)


@pytest.mark.parametrize(
    "user_agent, address",
    [(THIEF_UA, "10.1.2.3"), (PHONE_UA, "203.0.113.9")],
    ids=["other-user-agent", "other-address"],
)
def test_a_replay_from_another_client_within_the_window_revokes(
    client, db, frozen_now, user_agent, address
):
    phone, first = sign_in(client)
    new = refresh(client, first["refresh_token"]).get_json()
    clock.advance(timedelta(seconds=1))
    assert_envelope(refresh(client, first["refresh_token"], user_agent, address), 401)
    assert_family_revoked(db, phone)
    assert_envelope(refresh(client, new["refresh_token"]), 401)


def test_with_no_grace_every_reuse_revokes(app, client, db, frozen_now):
    app.extensions["settings"] = replace(app.extensions["settings"], refresh_grace_seconds=0)
    phone, first = sign_in(client)
    refresh(client, first["refresh_token"])
    assert_envelope(refresh(client, first["refresh_token"]), 401)
    assert_family_revoked(db, phone)


def race(app, token, clients):
    """Present TOKEN from each (user agent, address) at once; returns the responses."""
    barrier = threading.Barrier(len(clients))
    results: dict[int, object] = {}

    def present(index, user_agent, address):
        own = app.test_client()
        barrier.wait()
        response = refresh(own, token, user_agent, address)
        results[index] = (response.status_code, response.get_json())

    threads = [
        threading.Thread(target=present, args=(i, ua, addr)) for i, (ua, addr) in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[i] for i in range(len(clients))]


def test_two_concurrent_refreshes_from_one_phone_get_one_new_pair(app, client, db):
    phone, first = sign_in(client)
    answers = race(app, first["refresh_token"], [(PHONE_UA, "10.1.2.3")] * 2)
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1]["refresh_token"] == answers[1][1]["refresh_token"]
    assert answers[0][1]["access_token"] == answers[1][1]["access_token"]
    tokens, user = family_of(db, phone)
    # One family, one successor: the old token used, exactly one live token, nothing revoked.
    assert len({t["family"] for t in tokens}) == 1 and len(tokens) == 2
    assert [t["used_at"] is None for t in tokens] == [False, True]
    assert all(t["revoked_at"] is None for t in tokens)
    assert reuse_audits(db, user) == 0
    assert refresh(client, answers[0][1]["refresh_token"]).status_code == 200


def test_concurrent_refreshes_from_two_clients_leave_no_live_token(app, client, db):
    phone, first = sign_in(client)
    answers = race(
        app, first["refresh_token"], [(PHONE_UA, "10.1.2.3"), (THIEF_UA, "198.51.100.7")]
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses in ([200, 401], [401, 401])
    tokens, user = family_of(db, phone)
    # Whoever won the rotation, the family ended with it: no second chain, nothing live.
    assert len(tokens) == 2 and len({t["family"] for t in tokens}) == 1
    assert all(t["revoked_at"] is not None for t in tokens)
    assert reuse_audits(db, user) == 1
    for status, body in answers:
        if status == 200:
            assert_envelope(refresh(client, body["refresh_token"]), 401)


def test_a_family_revoked_between_the_winners_two_writes_leaves_no_live_token(
    client, db, monkeypatch
):
    """The interleaving the two-client race can hit: a concurrent reuse revokes the family
    after the winner marked the old token used but before its successor is stored."""
    from app.accounts import refresh_tokens_repository as refresh_repo

    phone, first = sign_in(client)
    insert = refresh_repo.insert

    def revoked_meanwhile(digest, user_id, family, expires_at):
        refresh_repo.revoke_family(family)
        insert(digest, user_id, family, expires_at)

    monkeypatch.setattr(refresh_repo, "insert", revoked_meanwhile)
    assert_envelope(refresh(client, first["refresh_token"]), 401)
    tokens, _ = family_of(db, phone)
    assert len(tokens) == 2 and all(t["revoked_at"] is not None for t in tokens)


def test_a_retry_after_the_rotations_key_was_retired_revokes(app, client, db, frozen_now):
    """The successor is derived from the signing key the record names: once that key no
    longer verifies, the pair cannot be re-made, and the reuse is treated as any other."""
    from app.accounts import tokens

    phone, first = sign_in(client)
    refresh(client, first["refresh_token"])
    service = app.extensions["tokens"]
    app.extensions["tokens"] = tokens.TokenService(
        tokens.rotate_keys(service.keys, timedelta(0)), app.extensions["settings"]
    )
    clock.advance(timedelta(seconds=1))
    assert_envelope(refresh(client, first["refresh_token"]), 401)
    assert_family_revoked(db, phone)


@pytest.mark.parametrize("value", ["-1", "301", "soon"])
def test_a_grace_window_out_of_range_stops_start_up(monkeypatch, value):
    from app.config import ConfigError, Settings
    from tests.conftest import TEST_KEYS

    monkeypatch.setenv("ONEVISIT_REFRESH_GRACE_SECONDS", value)
    with pytest.raises(ConfigError, match="ONEVISIT_REFRESH_GRACE_SECONDS"):
        Settings.from_env(env="test", jwt_keys=TEST_KEYS)
