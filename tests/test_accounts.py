"""Registration, login, refresh rotation with theft detection, logout, profile, devices."""

import pytest
from argon2 import PasswordHasher

from app.accounts import passwords
from tests.conftest import PASSWORD, assert_envelope, drain, next_phone

VALID_ID = "330106199001010018"
VALID_CREDIT_CODE = "91330106MA2GL8JX51"


def register(client, **overrides):
    body = {"phone": next_phone(), "password": PASSWORD, "name": "Li Lei", "kind": "person"}
    body.update(overrides)
    return client.post("/api/v1/auth/register", json=body)


def login(client, phone, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": password})


def test_resident_registers_and_sees_a_masked_profile(client, db):
    response = register(client, phone="13912345678", id_number=VALID_ID)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["role"] == "resident" and body["kind"] == "person"
    assert body["phone"] == "139****5678"
    assert body["id_number"] == "330106********0018"
    assert "password" not in body and "password_hash" not in body
    stored = db.users.find_one({"phone": "13912345678"})
    assert stored["password_hash"].startswith("$argon2id$")


def test_enterprise_registers_with_a_valid_credit_code(client):
    response = register(
        client,
        kind="enterprise",
        name="Qiantang Ltd",
        enterprise={"name": "Qiantang Ltd", "credit_code": VALID_CREDIT_CODE},
    )
    assert response.status_code == 201
    assert response.get_json()["role"] == "enterprise"


@pytest.mark.parametrize(
    "field,value",
    [
        ("id_number", "330106199001010019"),  # wrong check digit
        ("id_number", "330106199002300018"),  # no 30 February
        ("phone", "12345678901"),
        ("phone", "1380000000"),
    ],
)
def test_invalid_identifiers_are_refused_per_field(client, db, field, value):
    response = register(client, **{field: value})
    body = assert_envelope(response, 422)
    assert field in body["errors"]
    assert db.users.count_documents({}) == 0


def test_invalid_credit_code_is_refused(client, db):
    response = register(
        client,
        kind="enterprise",
        enterprise={"name": "Bad Ltd", "credit_code": "91330106MA2GL8JX52"},
    )
    body = assert_envelope(response, 422)
    assert "credit_code" in body["errors"]["enterprise"]
    assert db.users.count_documents({}) == 0


def test_enterprise_without_enterprise_data_is_refused(client, db):
    assert_envelope(register(client, kind="enterprise"), 422)
    assert db.users.count_documents({}) == 0


@pytest.mark.parametrize("password", ["short1", "onlyletterslong", "1234567890123", "password123"])
def test_password_policy_is_enforced(client, db, password):
    body = assert_envelope(register(client, password=password), 422)
    assert body["errors"]["password"]
    assert db.users.count_documents({}) == 0


def test_password_containing_the_phone_is_refused(client):
    assert_envelope(register(client, phone="13712345678", password="ab13712345678"), 422)


def test_duplicate_phone_is_409_and_nothing_changes(client, db):
    assert register(client, phone="13612345678").status_code == 201
    body = assert_envelope(register(client, phone="13612345678", name="Other"), 409)
    assert body["errors"]["phone"]
    assert db.users.count_documents({"phone": "13612345678"}) == 1
    assert db.users.find_one({"phone": "13612345678"})["name"] == "Li Lei"


def test_register_cannot_choose_a_role(client, db):
    body = assert_envelope(register(client, role="admin"), 422)
    assert body["errors"] == {"role": ["Unknown field."]}
    assert db.users.count_documents({}) == 0


def test_login_returns_a_bearer_pair(client):
    phone = next_phone()
    register(client, phone=phone)
    body = login(client, phone).get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] and body["refresh_token"]


def test_unknown_phone_and_wrong_password_answer_the_same(client):
    phone = next_phone()
    register(client, phone=phone)
    wrong = login(client, phone, "Wrong-password-1")
    unknown = login(client, next_phone())
    assert_envelope(wrong, 401)
    assert_envelope(unknown, 401)
    assert wrong.get_json()["message"] == unknown.get_json()["message"]


def test_login_with_an_operator_as_phone_is_422_not_a_login(client):
    register(client)
    body = assert_envelope(
        client.post("/api/v1/auth/login", json={"phone": {"$ne": None}, "password": PASSWORD}), 422
    )
    assert body["errors"]["phone"] == ["Not a valid string."]


def test_old_hash_parameters_are_upgraded_at_login(client, db):
    phone = next_phone()
    register(client, phone=phone)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    db.users.update_one({"phone": phone}, {"$set": {"password_hash": weak}})
    assert login(client, phone).status_code == 200
    upgraded = db.users.find_one({"phone": phone})["password_hash"]
    assert upgraded != weak and not passwords.needs_rehash(upgraded)


def test_refresh_rotates_and_the_old_token_dies(client):
    phone = next_phone()
    register(client, phone=phone)
    first = login(client, phone).get_json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.get_json()["refresh_token"] != first["refresh_token"]
    headers = {"Authorization": f"Bearer {second.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_reusing_a_refresh_token_revokes_the_family_and_is_audited(app, client, db):
    phone = next_phone()
    register(client, phone=phone)
    stolen = login(client, phone).get_json()["refresh_token"]
    legit = client.post("/api/v1/auth/refresh", json={"refresh_token": stolen}).get_json()
    # The thief replays the old token from its own machine: refused, and the whole family dies
    # with it (the owner's own retry would get the same pair: tests/test_refresh_retry.py).
    replay = client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": stolen},
        headers={"User-Agent": "thief/1.0"},
        environ_base={"REMOTE_ADDR": "203.0.113.66"},
    )
    assert_envelope(replay, 401)
    assert_envelope(
        client.post("/api/v1/auth/refresh", json={"refresh_token": legit["refresh_token"]}), 401
    )
    user = db.users.find_one({"phone": phone})
    drain(app)  # the audit record travels in the account's outbox
    assert (
        db.audit.count_documents({"action": "auth.refresh_reuse", "subject.id": str(user["_id"])})
        == 1
    )
    # Another session (another family) of the same user is untouched.
    other = login(client, phone).get_json()["refresh_token"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": other}).status_code == 200


def test_logout_revokes_the_family(client):
    phone = next_phone()
    register(client, phone=phone)
    pair = login(client, phone).get_json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    response = client.post(
        "/api/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=headers
    )
    assert response.status_code == 204
    assert_envelope(
        client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401
    )


def test_logout_needs_a_signed_in_user(client):
    assert_envelope(client.post("/api/v1/auth/logout", json={"refresh_token": "x"}), 401)


def test_unknown_refresh_token_is_401(client):
    assert_envelope(client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"}), 401)


def test_profile_update_changes_name_but_not_role(users, db):
    resident = users.resident()
    response = resident.patch("/api/v1/me", json={"name": "New Name"})
    assert response.status_code == 200 and response.get_json()["name"] == "New Name"
    assert_envelope(resident.patch("/api/v1/me", json={"role": "admin"}), 422)
    assert db.users.find_one({"_id": resident.user["_id"]})["role"] == "resident"


def test_password_change_needs_the_current_one_and_ends_other_sessions(users, client, db):
    resident = users.resident()
    phone = resident.user["phone"]
    refresh = login(client, phone).get_json()["refresh_token"]
    assert_envelope(resident.patch("/api/v1/me", json={"password": "Brand-new-pass-9"}), 422)
    ok = resident.patch(
        "/api/v1/me", json={"password": "Brand-new-pass-9", "current_password": PASSWORD}
    )
    assert ok.status_code == 200
    assert login(client, phone, "Brand-new-pass-9").status_code == 200
    assert_envelope(login(client, phone), 401)
    assert_envelope(client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}), 401)


def test_devices_register_idempotently_and_move_between_accounts(users, db):
    first, second = users.resident(), users.resident()
    device = {"platform": "fcm", "token": "device-token-123456"}
    assert first.post("/api/v1/me/devices", json=device).status_code == 204
    assert first.post("/api/v1/me/devices", json=device).status_code == 204
    assert len(db.users.find_one({"_id": first.user["_id"]})["devices"]) == 1
    assert second.post("/api/v1/me/devices", json=device).status_code == 204
    assert db.users.find_one({"_id": first.user["_id"]})["devices"] == []
    assert second.delete("/api/v1/me/devices/device-token-123456").status_code == 204
    assert_envelope(second.delete("/api/v1/me/devices/device-token-123456"), 404)


def test_device_platform_must_be_fcm_or_apns(users):
    assert_envelope(
        users.resident().post("/api/v1/me/devices", json={"platform": "sms", "token": "abcdefgh"}),
        422,
    )


def test_my_profile_is_read_once_per_request(users, monkeypatch) -> None:
    from app.accounts import repository as users_repo

    resident = users.resident()
    reads = []
    original = users_repo.get
    monkeypatch.setattr(users_repo, "get", lambda oid: reads.append(oid) or original(oid))
    response = resident.get("/api/v1/me")
    assert response.status_code == 200
    assert response.get_json()["id"] == resident.id
    assert len(reads) == 1  # authentication's read serves the profile too
