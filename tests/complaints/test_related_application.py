"""A complaint may name an application, but only one of the complainant's own."""

from tests.applications.world import build_world
from tests.complaint_helpers import body, file, setup
from tests.conftest import assert_envelope


def test_complaint_names_the_complainants_own_application(app, db, users):
    setup(app)
    applications = build_world(app, db, users)
    case = applications.submit()
    created = file(applications.applicant, related_application_id=case["id"])
    assert created["related_application_id"] == case["id"]
    stored = db.complaints.find_one({"tracking_no": created["tracking_no"]})
    assert str(stored["related_application_id"]) == case["id"]


def test_someone_elses_application_looks_unknown_and_nothing_is_filed(app, db, users):
    setup(app)
    applications = build_world(app, db, users)
    case = applications.submit()
    stranger = users.resident()
    response = stranger.post("/api/v1/complaints", json=body(related_application_id=case["id"]))
    assert "related_application_id" in assert_envelope(response, 422)["errors"]
    assert db.complaints.count_documents({}) == 0
