"""Complaint categories: a public list, managed by admins, seeded from the demo data."""

from app.complaints import categories as complaint_categories
from app.seed import load
from tests.complaint_helpers import AMR, HOTLINE, ok
from tests.conftest import assert_envelope

NEW = {
    "code": "graffiti",
    "name": "Graffiti",
    "description": "Paint on public walls",
    "default_department": HOTLINE,
    "questions": [
        {
            "code": "surface",
            "datatype": "singlevaluelist",
            "required": True,
            "description": "Surface",
            "values": [{"key": "wall", "name": "Wall"}, {"key": "bridge", "name": "Bridge"}],
        }
    ],
}


def test_anyone_lists_categories_and_reads_one(world, anon):
    listing = ok(anon.get("/api/v1/complaint-categories"))
    assert [c["code"] for c in listing["items"]] == ["neighbour_dispute", "noise"]
    noise = ok(anon.get("/api/v1/complaint-categories/noise"))
    assert noise["time_limit"] == {"value": 4, "unit": "working_days"}
    assert noise["questions"][0]["code"] == "noise_source"
    assert_envelope(anon.get("/api/v1/complaint-categories/parking"), 404)


def test_admin_creates_a_category_with_the_default_time_limit(world, users, db):
    admin = users.admin()
    response = admin.post("/api/v1/admin/complaint-categories", json=NEW)
    created = ok(response, 201)
    assert created["time_limit_days"] == 4  # DomainRules.complaint_default_days
    assert response.headers["ETag"] == '"v1"'
    assert db.complaint_categories.find_one({"_id": "graffiti"})["default_department"] == HOTLINE
    assert_envelope(admin.post("/api/v1/admin/complaint-categories", json=NEW), 409)
    assert db.audit.count_documents({"action": "complaint_category.create"}) == 3


def test_admin_updates_a_category_with_if_match(world, users, db):
    admin = users.admin()
    changed = {k: v for k, v in NEW.items() if k != "code"} | {"time_limit_days": 2}
    assert_envelope(admin.put("/api/v1/admin/complaint-categories/graffiti", json=changed), 404)
    body = {k: v for k, v in changed.items()} | {"name": "Noise", "default_department": AMR}
    stale = admin.put(
        "/api/v1/admin/complaint-categories/noise", json=body, headers={"If-Match": '"v9"'}
    )
    assert_envelope(stale, 412)
    assert db.complaint_categories.find_one({"_id": "noise"})["default_department"] == HOTLINE
    updated = ok(
        admin.put(
            "/api/v1/admin/complaint-categories/noise", json=body, headers={"If-Match": '"v1"'}
        )
    )
    assert updated["version"] == 2 and updated["default_department"] == AMR
    assert updated["time_limit_days"] == 2


def test_invalid_categories_are_422_and_not_stored(world, users, db):
    admin = users.admin()
    cases = [
        (NEW | {"default_department": "NOPE-330100"}, "default_department"),
        (NEW | {"code": "Bad Code"}, "code"),
        (NEW | {"time_limit_days": 0}, "time_limit_days"),
        (
            NEW | {"questions": [{"code": "a", "datatype": "string", "required": True, "x": 1}]},
            "questions",
        ),
        (
            NEW
            | {
                "questions": [
                    {
                        "code": "a",
                        "datatype": "singlevaluelist",
                        "required": True,
                        "description": "d",
                    }
                ]
            },
            "questions",
        ),
    ]
    for data, field in cases:
        response = admin.post("/api/v1/admin/complaint-categories", json=data)
        assert field in assert_envelope(response, 422)["errors"], (field, response.get_json())
    assert db.complaint_categories.count_documents({"_id": "graffiti"}) == 0


def test_only_admins_manage_categories(world, users, anon):
    assert_envelope(anon.post("/api/v1/admin/complaint-categories", json=NEW), 401)
    resident = users.resident()
    assert_envelope(resident.post("/api/v1/admin/complaint-categories", json=NEW), 403)


def test_demo_categories_seed_into_an_empty_database(app, db):
    from app.seed import seed_demo

    with app.app_context():
        assert seed_demo()
        assert len(complaint_categories.list_active()) == len(load("complaint_categories.json"))
    dispute = db.complaint_categories.find_one({"_id": "neighbour_dispute"})
    assert dispute["default_department"] == "MED-330100" and dispute["time_limit_days"] == 5


def test_categories_are_paged_with_limit_and_cursor(world, anon):
    first = ok(anon.get("/api/v1/complaint-categories?limit=1"))
    assert [c["code"] for c in first["items"]] == ["neighbour_dispute"]
    assert first["next_cursor"]
    second = ok(anon.get(f"/api/v1/complaint-categories?limit=1&cursor={first['next_cursor']}"))
    assert [c["code"] for c in second["items"]] == ["noise"]
    assert second["next_cursor"] is None
    assert_envelope(anon.get("/api/v1/complaint-categories?limit=0"), 422)


def test_a_question_without_choices_is_sent_with_values_null(world, anon):
    noise = ok(anon.get("/api/v1/complaint-categories/noise"))
    assert all("values" in q for q in noise["questions"])
    schema = anon.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["QuestionOut"]
    assert schema["properties"]["values"]["type"] == ["array", "null"]


def test_a_category_sends_its_version_as_etag_for_if_match_and_revalidation(world, anon):
    first = anon.get("/api/v1/complaint-categories/noise")
    assert first.headers["ETag"] == '"v1"'
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    cached = anon.get("/api/v1/complaint-categories/noise", headers={"If-None-Match": '"v1"'})
    assert cached.status_code == 304
