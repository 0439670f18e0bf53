"""One idempotency mechanism for creating POSTs: the key stamped on the record created, so a
replay answers with it, another body is 422, racing twins make one record, keys are per user,
and a refused request leaves nothing behind."""

import threading

from tests.conftest import assert_envelope, drain, ensure_department


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


def test_two_requests_racing_with_one_key_make_one_department(users, app, db):
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    barrier = threading.Barrier(4)
    answers: list[tuple[int, dict]] = []

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/admin/departments",
            json=department("TAX-330100"),
            headers={"Authorization": f"Bearer {admin.token}", "Idempotency-Key": "race"},
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [201] * 4
    assert len({body["code"] for _, body in answers}) == 1
    assert db.departments.count_documents({"_id": "TAX-330100"}) == 1
    drain(app)
    assert db.audit.count_documents({"subject.id": "TAX-330100"}) == 1


def test_a_failed_request_releases_its_key_so_the_retry_runs(users, app, db):
    admin = users.admin()
    headers = {"Idempotency-Key": "retry-after-fix"}
    # Region unknown: 422, and nothing is written, so nothing remembers the failure.
    assert_envelope(
        admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers), 422
    )
    assert db.departments.count_documents({"idempotency_key": {"$exists": True}}) == 0
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


def test_every_created_collection_keeps_the_key_under_a_unique_index(db):
    for name in (
        "applications",
        "complaints",
        "users",
        "departments",
        "matters",
        "attachments",
        "complaint_categories",
        "open311_keys",
        "supervision_events",
    ):
        index = db[name].index_information()["created_by_idempotency_key"]
        assert index["key"] == [("idempotency_key", 1)] and index["unique"], name


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
        stamp = idempotency.current()
        seen.append(stamp.key if stamp else None)
        return {"ok": True}, 201

    app.add_url_rule("/test-idempotent-key", "test_idempotent_key", create, methods=["POST"])
    client = app.test_client()
    client.post("/test-idempotent-key", json={}, headers={"Idempotency-Key": "k-1"})
    client.post("/test-idempotent-key", json={})
    assert seen[0].endswith("|k-1")  # scoped to the caller (here: anonymous, by address)
    assert seen[1] is None
    with app.test_request_context():
        assert idempotency.current() is None  # nothing leaks past the request


def test_a_rerun_after_a_crash_answers_with_the_department_its_first_run_created(users, app, db):
    """The first run's insert committed, then the answer was lost: the retry runs again and
    meets its own stamp: it must answer 201 with the same department, not 409 'exists
    already'."""
    admin = users.admin()
    with app.app_context():
        ensure_department("AMR-330100")
    headers = {"Idempotency-Key": "crash-1"}
    first = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    assert first.status_code == 201
    again = admin.post("/api/v1/admin/departments", json=department("TAX-330100"), headers=headers)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["code"] == "TAX-330100"
    assert db.departments.count_documents({"_id": "TAX-330100"}) == 1
    other = admin.post(
        "/api/v1/admin/departments", json=department("TAX-330100"), headers={"Idempotency-Key": "x"}
    )
    assert_envelope(other, 409)  # another request still meets the unique code
