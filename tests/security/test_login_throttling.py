"""Attacks on sign-in: a guesser is slowed down, the owner is never locked out by them."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.accounts import service as accounts
from tests.conftest import PASSWORD, assert_envelope, next_phone

OWNER_ADDRESS = "10.1.0.1"
ATTACKER_ADDRESS = "10.66.0.1"


@pytest.fixture
def settings_overrides():
    return {
        "login_free_failures": 3,
        "login_backoff_seconds": 2.0,
        "login_backoff_max_seconds": 60.0,
        "login_limit_phone": "10/300",
        "login_limit_address": "30/300",
    }


@pytest.fixture
def owner(app):
    phone = next_phone()
    with app.app_context():
        accounts.register({"phone": phone, "password": PASSWORD, "name": "Owner", "kind": "person"})
    return phone


@pytest.fixture(autouse=True)
def frozen_clock():
    """Frozen at the start of the next five-minute window (the limits' windows), so that a
    test's few advanced seconds stay in one. Never in the past: the database's TTL monitor
    deletes counters by the real time, and one frozen on an earlier date lost its counters
    whenever the monitor's pass fell inside the test."""
    now = int(time.time())
    clock.freeze(datetime.fromtimestamp(now - now % 300 + 300 + 1, UTC))
    yield
    clock.unfreeze()


def login(client, phone, password, address):
    return client.post(
        "/api/v1/auth/login",
        json={"phone": phone, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_wrong_passwords_from_an_attacker_do_not_lock_the_owner_out(client, owner, db):
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200  # usual address
    statuses = [
        login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS).status_code for _ in range(5)
    ]
    assert statuses[:4] == [401, 401, 401, 401] and statuses[4] == 429
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200
    # Nothing in the database names the phone or either address.
    for doc in db.login_failures.find():
        assert owner not in str(doc) and ATTACKER_ADDRESS not in str(doc)


def test_the_guessers_wait_doubles_with_each_further_failure(client, owner):
    for _ in range(3):
        assert_envelope(login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS), 401)
    waits = []
    for _ in range(3):
        assert_envelope(login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS), 401)
        blocked = assert_envelope(login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS), 429)
        assert "wait" in blocked["message"]
        response = login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS)
        waits.append(int(response.headers["Retry-After"]))
        clock.advance(timedelta(seconds=waits[-1]))
    assert waits == [2, 4, 8]


def test_a_blocked_attempt_is_refused_even_with_the_right_password(client, owner):
    for _ in range(4):
        login(client, owner, "Wrong-pass-1", ATTACKER_ADDRESS)
    assert_envelope(login(client, owner, PASSWORD, ATTACKER_ADDRESS), 429)
    clock.advance(timedelta(seconds=3))
    assert login(client, owner, PASSWORD, ATTACKER_ADDRESS).status_code == 200


def test_a_guesser_spread_over_many_addresses_is_bounded_per_phone(client, owner):
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200
    statuses = [login(client, owner, "Wrong-pass-1", f"10.77.0.{i}").status_code for i in range(12)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429, 429]
    # A new address of the owner waits like the attacker; the usual one does not.
    assert_envelope(login(client, owner, PASSWORD, "10.1.0.99"), 429)
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200


def test_the_owners_own_typos_at_home_slow_only_home(client, owner):
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200
    for _ in range(4):
        login(client, owner, "Wrong-pass-1", OWNER_ADDRESS)
    assert_envelope(login(client, owner, PASSWORD, OWNER_ADDRESS), 429)
    clock.advance(timedelta(seconds=2))
    assert login(client, owner, PASSWORD, OWNER_ADDRESS).status_code == 200
    # Success cleared the pair: three more typos are free again.
    assert [login(client, owner, "Wrong-pass-1", OWNER_ADDRESS).status_code for _ in range(3)] == [
        401
    ] * 3


def test_one_address_trying_many_phones_is_limited(client):
    statuses = [
        login(client, next_phone(), "Wrong-pass-1", ATTACKER_ADDRESS).status_code for _ in range(32)
    ]
    assert statuses[:30] == [401] * 30 and statuses[30:] == [429, 429]
