"""Brute force is rate-limited per phone and per address, across every worker process
(the owner-friendly rules are in tests/security/test_login_throttling.py)."""

import json

import pytest

from app.platform.embedded import free_port
from tests.conftest import TEST_KEYS, assert_envelope, next_phone
from tests.processes import gunicorn, post_json, wait_for


@pytest.fixture
def settings_overrides():
    return {"login_limit_phone": "3/300", "login_limit_address": "6/300"}


def attempt(client, phone, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/login",
        json={"phone": phone, "password": "Wrong-pass-1"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_fourth_failure_on_a_phone_from_unknown_addresses_is_429_with_retry_after(client, db):
    phone = next_phone()
    for _ in range(3):
        assert_envelope(attempt(client, phone), 401)
    response = attempt(client, phone, address="10.0.0.2")  # another address, same phone
    assert_envelope(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    # Counters store digests, never the phone number itself.
    assert not db.rate_limits.find_one({"_id": {"$regex": phone}})


def test_one_address_trying_many_phones_is_limited_too(client):
    statuses = [attempt(client, next_phone(), "10.0.0.9").status_code for _ in range(8)]
    assert statuses[:6] == [401] * 6 and statuses[6:] == [429, 429]


def test_the_limit_holds_across_two_server_processes(app, db_server, db):
    """Two separate gunicorn servers on one database share the counters."""
    env = {
        "MONGO_URI": db_server.uri,
        "ONEVISIT_DB_NAME": db.name,
        "ONEVISIT_ENV": "test",
        "ONEVISIT_JWT_KEYS": TEST_KEYS,
        "ONEVISIT_LOGIN_LIMIT_PHONE": "3/300",
        "ONEVISIT_LOG_LEVEL": "WARNING",
    }
    ports = [free_port(), free_port()]
    servers = [gunicorn(port, env) for port in ports]
    try:
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/healthz")
        body = json.dumps({"phone": next_phone(), "password": "Wrong-pass-1"}).encode()
        statuses = [
            post_json(f"http://127.0.0.1:{ports[i % 2]}/api/v1/auth/login", body)[0]
            for i in range(6)
        ]
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
    assert statuses == [401, 401, 401, 429, 429, 429]
