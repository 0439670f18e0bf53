"""Submitting an application: everything the service item asks for is checked, every problem
reported per field, and a refused submission stores nothing."""

import re

from bson import ObjectId

from app.wallet import attachments as attachments_service
from tests.applications.world import APPS
from tests.conftest import assert_envelope
from tests.files import upload_id
from tests.matters import store_matter


def _nothing_stored(db):
    assert db.applications.count_documents({}) == 0
    assert db.kpi_daily.count_documents({}) == 0


def test_enterprise_submits_and_gets_a_tracking_number_and_a_masked_applicant(world, db):
    response = world.applicant.post(APPS, json=world.body())
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"ZJ\d{8}\d{6}", body["tracking_no"])
    assert body["status"] == "submitted"
    assert body["version"] == 1
    assert response.headers["ETag"] == '"v1"'
    assert body["matter"] == {
        "code": "ZJ-COMPANY-SETUP",
        "version": 1,
        "name": "Company establishment registration",
    }
    assert body["applicant"]["name"] == "Q" + "*" * (len("Qiantang Software Ltd") - 1)
    phone = world.applicant.user["phone"]
    assert body["applicant"]["phone"] == phone[:3] + "****" + phone[-4:]
    assert body["applicant"]["id_number"] == "330106********0018"
    assert body["matter_code"] == "ZJ-COMPANY-SETUP"
    assert body["delivery"] == "electronic"
    assert body["form"]["registered_capital"] == 1000000
    assert body["due_at"] is None and body["overdue"] is False
    assert [e["action"] for e in body["timeline"]] == ["submit"]
    assert {m["key"] for m in body["materials"]} == {"articles", "legal_rep_id"}
    stored = db.applications.find_one({"_id": ObjectId(body["id"])})
    assert stored["applicant_id"] == world.applicant.user["_id"]
    assert stored["matter"]["time_limit"] == {"value": 1, "unit": "working_days"}
    assert stored["department"] == "AMR-330100"
    assert stored["co_departments"] == ["TAX-330100", "SI-330100"]
    assert stored["region_path"] == ["330000", "330100"]
    # The cited file is no orphan any more, and the applicant heard from us.
    assert db.attachments.find_one({"_id": ObjectId(world.articles)})["cited"] is True
    assert db.notifications.count_documents({"user_id": stored["applicant_id"]}) == 1
    counters = world.kpi()
    assert counters["applications_received"] == 1
    audit = db.audit.find_one({"action": "application.submit"})
    assert audit["subject"]["id"] == body["id"]


def test_retry_with_the_same_idempotency_key_returns_the_first_response(world, db):
    headers = {"Idempotency-Key": "submit-1"}
    first = world.applicant.post(APPS, json=world.body(), headers=headers)
    again = world.applicant.post(APPS, json=world.body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert db.applications.count_documents({}) == 1
    # Another body (postal delivery now needs an address: issue 15).
    other_body = world.body(
        delivery="post",
        delivery_address={
            "name": "林小青",
            "phone": "13800000001",
            "address": "浙江省杭州市西湖区文三路 90 号",
            "region": "330106",
        },
    )
    other = world.applicant.post(APPS, json=other_body, headers=headers)
    body = assert_envelope(other, 422)
    assert "Idempotency-Key" in body["errors"]
    assert db.applications.count_documents({}) == 1


def test_form_errors_are_reported_for_every_field(world, db):
    response = world.applicant.post(
        APPS,
        json=world.body(
            form={"company_name": "x" * 101, "registered_capital": -1, "business_scope": "x"}
        ),
    )
    body = assert_envelope(response, 422)
    assert set(body["errors"]["form"]) == {"company_name", "registered_capital", "business_scope"}
    _nothing_stored(db)


def test_operator_objects_are_refused_wherever_a_value_belongs(world, db):
    form = {**world.body()["form"], "company_name": {"$ne": None}}
    body = assert_envelope(world.applicant.post(APPS, json=world.body(form=form)), 422)
    assert "company_name" in body["errors"]["form"]
    body = assert_envelope(
        world.applicant.post(APPS, json=world.body(matter_code={"$ne": None})), 422
    )
    assert "matter_code" in body["errors"]
    materials = [{"key": "articles", "attachment_id": {"$ne": None}}]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert "materials" in body["errors"]
    _nothing_stored(db)


def test_unknown_top_level_fields_are_refused(world, db):
    body = assert_envelope(world.applicant.post(APPS, json=world.body(status="completed")), 422)
    assert "status" in body["errors"]
    _nothing_stored(db)


def test_required_materials_must_be_present_and_unknown_keys_are_refused(world, db):
    materials = [
        {"key": "articles", "attachment_id": world.articles},
        {"key": "bribe", "attachment_id": world.articles},
    ]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert set(body["errors"]["materials"]) == {"legal_rep_id", "bribe"}
    _nothing_stored(db)


def test_a_material_needs_exactly_one_source(world, db):
    materials = [
        {"key": "articles", "attachment_id": world.articles, "certificate_id": world.id_card},
        {"key": "legal_rep_id"},
    ]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert set(body["errors"]["materials"]) == {"0", "1"}
    _nothing_stored(db)


def test_another_persons_certificate_is_refused_without_revealing_it(world, users, db):
    other = users.resident()
    foreign = world.certificate(other)
    materials = [
        {"key": "articles", "attachment_id": world.articles},
        {"key": "legal_rep_id", "certificate_id": foreign},
    ]
    response = world.applicant.post(APPS, json=world.body(materials=materials))
    body = assert_envelope(response, 422)
    unknown = world.applicant.post(
        APPS,
        json=world.body(
            materials=[materials[0], {"key": "legal_rep_id", "certificate_id": str(ObjectId())}]
        ),
    )
    # Someone else's certificate reads exactly like one that does not exist.
    assert body["errors"] == unknown.get_json()["errors"]
    assert body["errors"]["materials"]["legal_rep_id"] == ["No such certificate in your wallet."]
    _nothing_stored(db)
    assert db.certificate_access.count_documents({}) == 0


def test_a_certificate_of_the_wrong_type_is_refused(world, db):
    licence = world.certificate(world.applicant, "business_licence")
    materials = [
        {"key": "articles", "attachment_id": world.articles},
        {"key": "legal_rep_id", "certificate_id": licence},
    ]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert body["errors"]["materials"]["legal_rep_id"] == [
        "This material needs a resident_id_card certificate."
    ]
    _nothing_stored(db)


def test_a_certificate_cannot_stand_in_for_a_material_that_names_no_type(world, db):
    materials = [
        {"key": "articles", "certificate_id": world.id_card},
        {"key": "legal_rep_id", "certificate_id": world.id_card},
    ]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert list(body["errors"]["materials"]) == ["articles"]
    _nothing_stored(db)


def test_a_revoked_certificate_is_refused(world, db):
    db.certificates.update_one({"_id": ObjectId(world.id_card)}, {"$set": {"status": "revoked"}})
    body = assert_envelope(world.applicant.post(APPS, json=world.body()), 422)
    assert list(body["errors"]["materials"]) == ["legal_rep_id"]
    _nothing_stored(db)


def test_another_persons_attachment_is_refused_and_stays_uncited(world, users, db):
    other = users.resident()
    theirs = upload_id(other)
    materials = [
        {"key": "articles", "attachment_id": theirs},
        {"key": "legal_rep_id", "certificate_id": world.id_card},
    ]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert body["errors"]["materials"]["articles"] == ["No such attachment of yours."]
    assert db.attachments.find_one({"_id": ObjectId(theirs)})["cited"] is False
    _nothing_stored(db)


def test_a_material_given_twice_is_refused(world, db):
    materials = world.body()["materials"] + [{"key": "articles", "attachment_id": world.articles}]
    body = assert_envelope(world.applicant.post(APPS, json=world.body(materials=materials)), 422)
    assert list(body["errors"]["materials"]) == ["articles"]
    _nothing_stored(db)


def test_delivery_must_be_one_the_item_offers(world, db):
    body = assert_envelope(world.applicant.post(APPS, json=world.body(delivery="drone")), 422)
    assert "delivery" in body["errors"]
    _nothing_stored(db)


def test_unknown_service_item_is_422(world, db):
    body = assert_envelope(world.applicant.post(APPS, json=world.body(matter_code="NOPE")), 422)
    assert "matter_code" in body["errors"]
    _nothing_stored(db)


def test_a_person_cannot_apply_for_an_enterprise_item(world, users, db):
    resident = users.resident()
    attachment = upload_id(resident)
    materials = [
        {"key": "articles", "attachment_id": attachment},
        {"key": "legal_rep_id", "certificate_id": world.certificate(resident)},
    ]
    response = resident.post(APPS, json=world.body(materials=materials))
    body = assert_envelope(response, 422)
    assert "matter_code" in body["errors"]
    _nothing_stored(db)


def test_staff_supervisors_and_admins_cannot_submit(world, users, db):
    for api in (world.staff["amr_window"], users.supervisor(), users.admin()):
        assert_envelope(api.post(APPS, json=world.body()), 403)
    _nothing_stored(db)


def test_anonymous_submission_is_401(world, anon, db):
    assert_envelope(anon.post(APPS, json=world.body()), 401)
    _nothing_stored(db)


def test_the_case_keeps_the_version_it_was_submitted_under(world, db):
    case = world.submit()
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"current": False}})
    store_matter(
        db,
        version=2,
        name="Company set-up (new rules)",
        time_limit={"value": 5, "unit": "working_days"},
        max_visits=1,
    )
    later = world.submit()
    assert later["matter"]["version"] == 2
    again = world.applicant.get(f"{APPS}/{case['id']}").get_json()
    assert again["matter"] == case["matter"]
    accepted = world.accept(case)
    stored = world.stored(accepted)
    assert stored["matter"]["time_limit"] == {"value": 1, "unit": "working_days"}
    assert stored["matter"]["max_visits"] == 0


def test_attachments_cited_by_a_case_are_kept_by_the_orphan_cleanup(world, app, db):
    world.submit()
    with app.app_context():
        assert db.attachments.find_one({"_id": ObjectId(world.articles)})["cited_by"]
        attachments_service.cleanup_orphans()
    assert db.attachments.count_documents({"_id": ObjectId(world.articles)}) == 1
