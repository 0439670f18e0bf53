"""One idempotency mechanism for creating POSTs: replay, 422 on another body, 409 while the
first is running, per-user scope, and failed requests release the key."""

from datetime import timedelta

from app import clock
from tests.conftest import assert_envelope, ensure_department


def department(code, region="330100"):
    return {"code": code, "name": f"Dept {code}", "region": region}


def test_retry_with_same_key_and_body_replays_the_first_response(users, app, db):
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    headers = {"Idempotency-Key": "3f2b8c1e-key"}
    first = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    again = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.departments.count_documents({"_id": "TAX-330100"}) == 1
    assert (
        db.audit.count_documents({"action": "department.create", "subject.id": "TAX-330100"}) == 1
    )


def test_same_key_with_a_different_body_is_422(users, app, db):
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    headers = {"Idempotency-Key": "k-1"}
    admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    body = assert_envelope(
        admin.post("/api/v1/admin/departments", json=department("SI-330100"), headers=headers), 422
    )
    assert "Idempotency-Key" in body["errors"]
    assert db.departments.find_one({"_id": "SI-330100"}) is None


def test_key_is_scoped_per_user(users, db):
    headers = {"Idempotency-Key": "shared-key"}
    admin1, admin2 = users.admin(), users.admin()
    with users.app.app_context():
        ensure_department("AMR-330100")
    a = admin1.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    b = admin2.post("/api/v1/admin/departments", json=department("SI-330100"), headers=headers)
    assert a.status_code == 201 and b.status_code == 201


def test_while_the_first_request_runs_a_twin_gets_409(users, app, db):
    admin = users.admin()
    now = clock.now()
    db.idempotency_keys.insert_one(
        {
            "_id": f"user:{admin.id}|busy-key",
            "fingerprint": _fingerprint_of(app, admin),
            "response": None,
            "locked_at": now,
            "expires_at": now + timedelta(hours=48),
        }
    )
    response = admin.post(
        "/api/v1/admin/departments",
        json=department("TAX-330100"),
        headers={"Idempotency-Key": "busy-key"},
    )
    assert_envelope(response, 409)
    assert response.headers["Retry-After"] == "1"
    assert db.departments.count_documents({}) == 0


def test_a_claim_left_by_a_crashed_request_is_taken_over_after_the_lock_time(users, app, db):
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    stale = clock.now() - timedelta(minutes=5)
    db.idempotency_keys.insert_one(
        {
            "_id": f"user:{admin.id}|crashed",
            "fingerprint": _fingerprint_of(app, admin),
            "response": None,
            "locked_at": stale,
            "expires_at": stale + timedelta(hours=48),
        }
    )
    response = admin.post(
        "/api/v1/admin/departments",
        json=department("TAX-330100"),
        headers={"Idempotency-Key": "crashed"},
    )
    assert response.status_code == 201


def test_a_failed_request_releases_its_key_so_the_retry_runs(users, app, db):
    admin = users.admin()
    headers = {"Idempotency-Key": "retry-after-fix"}
    # Region unknown: 422, and the key is released rather than remembering the failure.
    assert_envelope(
        admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers), 422
    )
    assert db.idempotency_keys.count_documents({}) == 0
    with app.app_context():
        ensure_department("AMR-330100")
    assert (
        admin.post(
            "/api/v1/admin/departments", json=department("TAX-330100"), headers=headers
        ).status_code
        == 201
    )


def test_malformed_key_is_422(users):
    response = users.admin().post(
        "/api/v1/admin/departments",
        json=department("X-330100"),
        headers={"Idempotency-Key": "spaces are not ok"},
    )
    assert_envelope(response, 422)


def test_keys_expire_through_a_ttl_index(db):
    ttl = [ix for ix in db.idempotency_keys.list_indexes() if "expireAfterSeconds" in ix]
    assert ttl and ttl[0]["key"] == {"expires_at": 1}


def _fingerprint_of(app, admin):
    from app.http.idempotency import request_fingerprint

    with app.test_request_context(
        "/api/v1/admin/departments", method="POST", json=department("TAX-330100")
    ):
        return request_fingerprint()


def test_the_view_sees_its_claimed_key_so_a_rerun_can_find_its_first_record(app):
    from app.http import idempotency

    seen = []

    @idempotency.idempotent
    def create():
        seen.append(idempotency.current_key())
        return {"ok": True}, 201

    app.add_url_rule("/test-idempotent-key", "test_idempotent_key", create, methods=["POST"])
    client = app.test_client()
    client.post("/test-idempotent-key", json={}, headers={"Idempotency-Key": "k-1"})
    client.post("/test-idempotent-key", json={})
    assert seen[0].endswith("|k-1")  # scoped to the caller (here: anonymous, by address)
    assert seen[1] is None
    with app.test_request_context():
        assert idempotency.current_key() is None  # nothing leaks past the request


def test_a_rerun_after_a_crash_answers_with_the_department_its_first_run_created(users, app, db):
    """The first run's insert committed, then the process died before storing the reply:
    the claim goes stale, the retry takes it over and runs again: it must answer 201 with
    the same department, not 409 'exists already'."""
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    headers = {"Idempotency-Key": "crash-1"}
    first = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    assert first.status_code == 201
    # Simulate the crash: the stored reply is gone, the claim is old.
    db.idempotency_keys.update_many(
        {}, {"$set": {"response": None, "locked_at": clock.now() - timedelta(hours=1)}}
    )
    again = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["code"] == "TAX-330100"
    assert db.departments.count_documents({"_id": "TAX-330100"}) == 1
    other = admin.post(
        "/api/v1/admin/departments", json=department("TAX-330100"), headers={"Idempotency-Key": "x"}
    )
    assert_envelope(other, 409)  # another request still meets the unique code
