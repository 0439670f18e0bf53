"""Attachments: typed by content, capped, hashed, private to owner and the case's staff."""

import hashlib
from datetime import timedelta

from bson import ObjectId

from app import clock, outbox
from app.wallet import attachments as attachments_service
from tests.conftest import assert_envelope
from tests.files import JPEG, PDF, PNG, upload, upload_id


def test_resident_uploads_pdf_and_downloads_it_back(users, db):
    resident = users.resident()
    response = upload(resident, PDF, "../../etc/passwd.exe")
    assert response.status_code == 201
    body = response.get_json()
    assert body["content_type"] == "application/pdf"
    assert body["filename"] == "passwd.pdf"  # the name is sanitised, the type is from bytes
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["size"] == len(PDF)
    download = resident.get(f"/api/v1/attachments/{body['id']}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Type"] == "application/pdf"


def test_png_and_jpeg_are_recognised_by_content_whatever_their_name(users):
    resident = users.resident()
    assert upload(resident, PNG, "photo.pdf").get_json()["content_type"] == "image/png"
    assert upload(resident, JPEG, "scan.png").get_json()["content_type"] == "image/jpeg"


def test_html_named_pdf_is_refused_and_nothing_stored(users, db):
    resident = users.resident()
    response = upload(resident, b"<html><script>alert(1)</script></html>", "invoice.pdf")
    body = assert_envelope(response, 415)
    assert "file" in body["errors"]
    assert db.attachments.count_documents({}) == 0
    assert db["attachment_files.files"].count_documents({}) == 0


def test_file_over_the_cap_is_413_and_nothing_stored(app, users, db):
    resident = users.resident()
    limit = app.extensions["settings"].max_upload_bytes
    response = upload(resident, PDF + b"0" * (limit + 1))
    assert_envelope(response, 413)
    assert db.attachments.count_documents({}) == 0
    assert db["attachment_files.files"].count_documents({}) == 0


def test_body_over_1_mib_is_accepted_for_uploads_below_their_own_cap(users):
    resident = users.resident()
    response = upload(resident, PDF + b"0" * (2 * 1024 * 1024))
    assert response.status_code == 201


def test_another_user_cannot_download_it_and_learns_nothing(users):
    owner, other = users.resident(), users.resident()
    attachment_id = upload_id(owner)
    assert_envelope(other.get(f"/api/v1/attachments/{attachment_id}"), 404)
    assert_envelope(other.get(f"/api/v1/attachments/{ObjectId()}"), 404)
    staff = users.staff()
    assert_envelope(staff.get(f"/api/v1/attachments/{attachment_id}"), 404)


def test_staff_of_a_case_citing_the_file_may_download_it(app, users):
    owner, staff, outsider = users.resident(), users.staff(), users.staff("TAX-330100")
    attachment_id = upload_id(owner)
    case_id = ObjectId()
    with app.app_context():
        attachments_service.register_case_access(
            "test_case", lambda user, cid: cid == case_id and user.department == "AMR-330100"
        )
        outbox.apply_now(
            attachments_service.citation(
                [ObjectId(attachment_id)], owner.user["_id"], "test_case", case_id
            )
        )
    assert staff.get(f"/api/v1/attachments/{attachment_id}").status_code == 200
    assert_envelope(outsider.get(f"/api/v1/attachments/{attachment_id}"), 404)


def test_same_upload_retried_with_an_idempotency_key_is_stored_once(users, db):
    resident = users.resident()
    first = upload(resident, PDF, headers={"Idempotency-Key": "upload-1"})
    again = upload(resident, PDF, headers={"Idempotency-Key": "upload-1"})
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert db.attachments.count_documents({}) == 1


def test_orphans_are_cleaned_up_after_the_configured_time_cited_files_kept(app, users, db):
    resident = users.resident()
    clock.freeze(clock.now())
    orphan = upload_id(resident)
    cited = upload_id(resident)
    with app.app_context():
        outbox.apply_now(
            attachments_service.citation(
                [ObjectId(cited)], resident.user["_id"], "application", ObjectId()
            )
        )
        assert attachments_service.cleanup_orphans() == 0  # too young
        clock.advance(
            timedelta(hours=app.extensions["settings"].rules.orphan_attachment_hours, minutes=1)
        )
        assert attachments_service.cleanup_orphans() == 1
    assert db.attachments.find_one({"_id": ObjectId(orphan)}) is None
    assert db.attachments.find_one({"_id": ObjectId(cited)}) is not None
    assert db["attachment_files.files"].count_documents({}) == 1


def test_upload_without_a_file_field_is_422(users):
    resident = users.resident()
    response = resident.post(
        "/api/v1/attachments", data={"other": "x"}, content_type="multipart/form-data"
    )
    assert_envelope(response, 422)


def test_anonymous_upload_is_401(anon):
    assert_envelope(upload(anon), 401)
