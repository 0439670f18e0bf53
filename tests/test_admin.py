"""Admins create departments and staff/supervisor accounts; everything they do is audited."""

from tests.conftest import PASSWORD, assert_envelope, create_region, next_phone


def test_admin_creates_a_mediation_organisation(users, app, db):
    admin = users.admin()
    with app.app_context():
        create_region("330000")
        create_region("330100")
    response = admin.post(
        "/api/v1/admin/departments",
        json={
            "code": "MED-330100",
            "name": "Hangzhou mediation centre",
            "region": "330100",
            "kind": "mediation",
        },
    )
    assert response.status_code == 201, response.get_json()
    stored = db.departments.find_one({"_id": "MED-330100"})
    assert stored["region_path"] == ["330000", "330100"] and stored["kind"] == "mediation"
    assert db.audit.count_documents({"action": "department.create"}) == 1
    assert_envelope(
        admin.post(
            "/api/v1/admin/departments",
            json={"code": "MED-330100", "name": "again", "region": "330100"},
        ),
        409,
    )


def test_department_in_an_unknown_region_is_refused(users, db):
    body = assert_envelope(
        users.admin().post(
            "/api/v1/admin/departments",
            json={"code": "AMR-999900", "name": "Nowhere", "region": "999900"},
        ),
        422,
    )
    assert "region" in body["errors"]
    assert db.departments.count_documents({}) == 0


def test_staff_need_a_department_and_duties(users, db):
    admin = users.admin()
    users.staff("AMR-330100")  # makes the department
    body = assert_envelope(
        admin.post(
            "/api/v1/admin/users",
            json={"phone": next_phone(), "password": PASSWORD, "name": "X", "role": "staff"},
        ),
        422,
    )
    assert {"department", "duties"} <= set(body["errors"])
    ok = admin.post(
        "/api/v1/admin/users",
        json={
            "phone": next_phone(),
            "password": PASSWORD,
            "name": "Window clerk",
            "role": "staff",
            "department": "AMR-330100",
            "duties": ["window", "reviewer"],
        },
    )
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["duties"] == ["reviewer", "window"]
    assert ok.get_json()["region"] == "330100"


def test_supervisors_need_a_region(users, db, app):
    admin = users.admin()
    assert_envelope(
        admin.post(
            "/api/v1/admin/users",
            json={"phone": next_phone(), "password": PASSWORD, "name": "S", "role": "supervisor"},
        ),
        422,
    )
    with app.app_context():
        create_region("330000")
    ok = admin.post(
        "/api/v1/admin/users",
        json={
            "phone": next_phone(),
            "password": PASSWORD,
            "name": "S",
            "role": "supervisor",
            "region": "330000",
        },
    )
    assert ok.status_code == 201


def test_admin_cannot_create_residents_through_the_back_door(users):
    assert_envelope(
        users.admin().post(
            "/api/v1/admin/users",
            json={"phone": next_phone(), "password": PASSWORD, "name": "R", "role": "resident"},
        ),
        422,
    )


def test_non_admins_are_forbidden_and_anonymous_unauthorised(users, anon):
    for caller in (users.resident(), users.staff(), users.supervisor()):
        assert_envelope(caller.get("/api/v1/admin/audit"), 403)
        assert_envelope(caller.post("/api/v1/admin/users", json={}), 403)
    # Anonymous: 401 before any body validation.
    assert_envelope(anon.post("/api/v1/admin/users", json={"junk": 1}), 401)


def test_audit_log_lists_who_did_what_filterable(users):
    admin = users.admin()
    users.resident()
    page = admin.get("/api/v1/admin/audit?limit=100").get_json()
    actions = {entry["action"] for entry in page["items"]}
    assert {"user.create", "user.register"} <= actions
    mine = admin.get(f"/api/v1/admin/audit?actor={admin.id}").get_json()["items"]
    assert all(entry["actor"]["id"] == admin.id for entry in mine)


def test_ensure_admin_creates_then_repairs_the_configured_admin(app, db):
    from app.accounts import service as accounts

    with app.app_context():
        accounts.ensure_admin("13300000001", "Configured-admin-1")
        accounts.ensure_admin("13300000001", "Configured-admin-2")
    users = list(db.users.find({"phone": "13300000001"}))
    assert len(users) == 1 and users[0]["role"] == "admin"
    from app.accounts import passwords

    assert passwords.verify_password(users[0]["password_hash"], "Configured-admin-2")


def test_public_directory_lists_regions_and_departments(users, anon):
    users.staff("TAX-330122", region="330122")
    users.staff("AMR-330100")
    regions = anon.get("/api/v1/regions").get_json()["items"]
    assert {"330000", "330100", "330122"} <= {r["code"] for r in regions}
    hangzhou = anon.get("/api/v1/departments?region=330100").get_json()["items"]
    assert {"AMR-330100", "TAX-330122"} <= {d["code"] for d in hangzhou}
    tonglu = anon.get("/api/v1/departments?region=330122").get_json()["items"]
    assert [d["code"] for d in tonglu] == ["TAX-330122"]
