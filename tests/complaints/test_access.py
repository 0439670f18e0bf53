"""Who sees which complaint: the complainant their own; staff their department's (hotline
staff their queue); supervisors their region and below; everyone else a 404."""

from bson import ObjectId

from app.wallet import attachments as attachments_service
from tests.complaint_helpers import AMR, HOTLINE, act, body, file, ok
from tests.conftest import assert_envelope
from tests.files import PDF, upload_id


def ids(response) -> list[str]:
    return [item["id"] for item in ok(response)["items"]]


def test_a_complainant_sees_only_their_own(world, users):
    resident, other = world["resident"], users.resident()
    mine, theirs = file(resident), file(other, location=None, title="Other")
    assert ids(resident.get("/api/v1/complaints")) == [mine["id"]]
    assert ids(other.get("/api/v1/complaints")) == [theirs["id"]]
    assert_envelope(other.get(f"/api/v1/complaints/{mine['id']}"), 404)
    assert_envelope(other.get(f"/api/v1/complaints/{ObjectId()}"), 404)
    assert_envelope(other.get("/api/v1/complaints/not-an-id"), 404)


def test_staff_see_only_their_departments_complaints(world):
    resident, hotline, amr, tax = world["resident"], world["hotline"], world["amr"], world["tax"]
    first, second = file(resident), file(resident, location=None, title="Second")
    ok(act(hotline, first, "assign", {"department": AMR}))
    assert ids(amr.get("/api/v1/complaints")) == [first["id"]]
    assert ids(tax.get("/api/v1/complaints")) == []
    assert_envelope(tax.get(f"/api/v1/complaints/{first['id']}"), 404)
    assert_envelope(amr.get(f"/api/v1/complaints/{second['id']}"), 404)
    # The hotline sees its whole queue, including what it routed on.
    assert set(ids(hotline.get("/api/v1/complaints"))) == {first["id"], second["id"]}
    assert ids(hotline.get("/api/v1/complaints?status=submitted")) == [second["id"]]


def test_supervisors_see_their_region_and_below(world, users, app):
    from tests.conftest import ensure_department

    resident = world["resident"]
    with app.app_context():
        ensure_department("HOTLINE-330122", "330122", "hotline")
    city = file(resident)
    county = file(resident, region="330122", location=None, title="Tonglu")
    assert county["hotline"] == "HOTLINE-330122"  # the nearest hotline takes it
    province = users.supervisor("330000")
    hangzhou = users.supervisor("330100")
    tonglu = users.supervisor("330122")
    ningbo = users.supervisor("330200")
    assert set(ids(province.get("/api/v1/complaints"))) == {city["id"], county["id"]}
    assert set(ids(hangzhou.get("/api/v1/complaints"))) == {city["id"], county["id"]}
    assert ids(tonglu.get("/api/v1/complaints")) == [county["id"]]
    assert ids(ningbo.get("/api/v1/complaints")) == []
    assert_envelope(ningbo.get(f"/api/v1/complaints/{city['id']}"), 404)
    assert_envelope(tonglu.get(f"/api/v1/complaints/{city['id']}"), 404)
    assert ok(hangzhou.get(f"/api/v1/complaints/{county['id']}"))["region"] == "330122"


def test_anonymous_is_401_and_admins_are_403(world, users, anon):
    assert_envelope(anon.get("/api/v1/complaints"), 401)
    assert_envelope(anon.post("/api/v1/complaints", json=body()), 401)
    assert_envelope(users.admin().get("/api/v1/complaints"), 403)
    assert_envelope(world["amr"].post("/api/v1/complaints", json=body()), 403)


def test_list_pages_with_a_cursor(world):
    resident = world["resident"]
    made = [file(resident, location=None, title=f"T{n}")["id"] for n in range(3)]
    first = ok(resident.get("/api/v1/complaints?limit=2"))
    assert [i["id"] for i in first["items"]] == made[::-1][:2]
    rest = ok(resident.get(f"/api/v1/complaints?limit=2&cursor={first['next_cursor']}"))
    assert [i["id"] for i in rest["items"]] == made[:1] and rest["next_cursor"] is None


def test_single_complaint_carries_an_etag(world):
    created = file(world["resident"])
    response = world["resident"].get(f"/api/v1/complaints/{created['id']}")
    assert response.headers["ETag"] == '"v1"'


def test_attachments_are_the_complainants_own_and_readable_by_the_assigned_staff(world, users, db):
    resident, hotline, amr, tax = world["resident"], world["hotline"], world["amr"], world["tax"]
    own = upload_id(resident, PDF)
    foreign = upload_id(users.resident(), PDF)
    bad = resident.post("/api/v1/complaints", json=body(attachments=[own, foreign]))
    assert "attachments" in assert_envelope(bad, 422)["errors"]
    assert db.complaints.count_documents({}) == 0
    created = file(resident, attachments=[own])
    assert created["attachments"] == [own]
    cited = db.attachments.find_one({"_id": ObjectId(own)})
    assert cited["cited"] is True and cited["cited_by"][0]["kind"] == "complaint"
    ok(act(hotline, created, "assign", {"department": AMR}))
    assert amr.get(f"/api/v1/attachments/{own}").status_code == 200
    assert hotline.get(f"/api/v1/attachments/{own}").status_code == 200
    assert_envelope(tax.get(f"/api/v1/attachments/{own}"), 404)
    assert attachments_service  # the complaint access check is registered on import


def test_retry_with_the_same_idempotency_key_files_one_complaint(world, db):
    resident = world["resident"]
    headers = {"Idempotency-Key": "c0ffee-1"}
    first = resident.post("/api/v1/complaints", json=body(), headers=headers)
    again = resident.post("/api/v1/complaints", json=body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert db.complaints.count_documents({}) == 1
    other = resident.post("/api/v1/complaints", json=body(title="changed"), headers=headers)
    assert_envelope(other, 422)


def test_invalid_submissions_are_422_and_store_nothing(world, db):
    resident = world["resident"]
    cases = [
        (body(category="parking"), "category"),
        (body(region="999999"), "region"),
        (body(kind="praise"), "kind"),
        (body(title={"$ne": None}), "title"),
        (body(location={"lat": 95, "lng": 120}), "location"),
        (body(answers={"noise_source": "volcano"}), "noise_source"),
        (body(answers={"unknown": "x"}), "unknown"),
        (body(owner="someone"), "owner"),
        (body(related_application_id=str(ObjectId())), "related_application_id"),
    ]
    for data, field in cases:
        response = resident.post("/api/v1/complaints", json=data)
        assert field in assert_envelope(response, 422)["errors"], (field, response.get_json())
    assert db.complaints.count_documents({}) == 0


def test_a_region_without_a_hotline_is_422(world, app, db):
    from tests.conftest import create_region

    with app.app_context():
        create_region("330200")
        create_region("330000")
    response = world["resident"].post("/api/v1/complaints", json=body(region="330200"))
    assert "region" in assert_envelope(response, 422)["errors"]
    assert db.complaints.count_documents({}) == 0


def test_answers_matching_the_questions_are_kept(world):
    created = file(world["resident"], answers={"noise_source": "bar", "details": "Loud"})
    assert created["answers"] == {"noise_source": "bar", "details": "Loud"}
    assert created["suggested_department"] == HOTLINE


def test_the_staff_in_charge_can_call_the_complainant_back_others_see_it_masked(world):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    phone = resident.user["phone"]
    assert ok(hotline.get(f"/api/v1/complaints/{created['id']}"))["complainant"]["phone"] == phone
    ok(act(hotline, created, "assign", {"department": AMR}))
    seen = ok(amr.get(f"/api/v1/complaints/{created['id']}"))["complainant"]
    assert seen == {"id": resident.id, "name": "Resident", "phone": phone}
    masked = ok(world["supervisor"].get(f"/api/v1/complaints/{created['id']}"))["complainant"]
    assert masked["phone"] == phone[:3] + "****" + phone[-4:] and masked["name"] == "R*******"


def test_staff_reading_a_complainants_contact_details_is_audited(world, app, db):
    """Handling staff see the complainant's name and phone in full: the read is audited
    (without a new version of the complaint)."""
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    seen = amr.get(f"/api/v1/complaints/{created['id']}")
    assert seen.status_code == 200 and seen.headers["ETag"] == '"v2"'
    (record,) = list(db.audit.find({"action": "complaint.read_personal"}))
    assert record["actor"]["id"] == amr.id and record["detail"]["fields"] == ["complainant"]
    resident.get(f"/api/v1/complaints/{created['id']}")  # the owner's own read: not audited
    assert db.audit.count_documents({"action": "complaint.read_personal"}) == 1
