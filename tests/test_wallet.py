"""The certificate wallet: holders see their certificates and who read them; nobody else does."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock
from app.accounts.auth import Principal
from app.wallet import certificates
from tests.conftest import assert_envelope, ensure_department


@pytest.fixture
def issue(app):
    with app.app_context():
        ensure_department("AMR-330100", "330100")

    def _issue(holder, cert_type="business_licence", **data):
        with app.app_context():
            return certificates.issue(
                holder.user["_id"],
                holder.user["name"],
                cert_type,
                "AMR-330100",
                data or {"company_name": "Qiantang Software Ltd"},
                {"kind": "application", "id": ObjectId(), "tracking_no": "ZJ20261126000001"},
            )

    return _issue


def test_holder_lists_own_certificates_newest_first(users, issue):
    holder, other = users.enterprise(), users.enterprise()
    first = issue(holder)
    second = issue(holder, "tax_registration_certificate")
    issue(other)
    body = holder.get("/api/v1/me/certificates").get_json()
    assert [c["id"] for c in body["items"]] == [str(second["_id"]), str(first["_id"])]
    assert body["next_cursor"] is None
    shown = body["items"][1]
    assert shown["type"] == "business_licence"
    assert shown["number"] == first["number"]
    assert shown["holder"] == "Ent Ltd"
    assert shown["issuer"] == "AMR-330100"
    assert shown["status"] == "valid"
    assert shown["valid_until"] is None
    assert shown["issued_at"].endswith("Z")
    assert shown["data"] == {"company_name": "Qiantang Software Ltd"}
    assert shown["source"]["tracking_no"] == "ZJ20261126000001"


def test_wallet_filters_by_type_and_pages(users, issue):
    holder = users.resident()
    ids = [str(issue(holder, "resident_id_card")["_id"]) for _ in range(3)]
    issue(holder, "passport")
    page = holder.get("/api/v1/me/certificates?type=resident_id_card&limit=2").get_json()
    rest = holder.get(
        f"/api/v1/me/certificates?type=resident_id_card&limit=2&cursor={page['next_cursor']}"
    ).get_json()
    assert [c["id"] for c in page["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert_envelope(holder.get("/api/v1/me/certificates?type=gold_star"), 422)


def test_holder_reads_one_of_their_certificates(users, issue):
    holder = users.enterprise()
    cert = issue(holder)
    response = holder.get(f"/api/v1/me/certificates/{cert['_id']}")
    assert response.status_code == 200
    assert response.get_json()["number"] == cert["number"]


def test_another_holders_certificate_is_404_like_an_unknown_one(users, issue):
    holder, snoop = users.enterprise(), users.enterprise()
    cert = issue(holder)
    for path in (
        f"/api/v1/me/certificates/{cert['_id']}",
        f"/api/v1/me/certificates/{cert['_id']}/access-log",
        f"/api/v1/me/certificates/{ObjectId()}",
        "/api/v1/me/certificates/not-an-id",
    ):
        body = assert_envelope(snoop.get(path), 404)
        assert "not-an-id" not in body["message"]
    assert snoop.get("/api/v1/me/certificates").get_json()["items"] == []


def test_staff_cannot_read_a_certificate_through_the_wallet(users, issue):
    holder = users.enterprise()
    cert = issue(holder)
    staff = users.staff(department="AMR-330100", duties=("reviewer", "head"))
    assert_envelope(staff.get(f"/api/v1/me/certificates/{cert['_id']}"), 404)


def test_the_wallet_needs_a_signed_in_user(anon):
    assert_envelope(anon.get("/api/v1/me/certificates"), 401)
    assert_envelope(anon.get(f"/api/v1/me/certificates/{ObjectId()}"), 401)
    assert_envelope(anon.get(f"/api/v1/me/certificates/{ObjectId()}/access-log"), 401)


def test_holder_sees_who_read_the_certificate_when_and_for_which_case(app, users, issue):
    clock.freeze(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    holder = users.enterprise()
    cert = issue(holder)
    other = issue(holder, "tax_registration_certificate")
    case_id = ObjectId()
    with app.app_context():
        for cert_id in (cert["_id"], cert["_id"], other["_id"]):
            clock.advance(timedelta(minutes=1))
            reader = Principal(
                id=str(ObjectId()), role="staff", name="Wang Fang", department="AMR-330100"
            )
            certificates.read_through_case(
                reader, cert_id, "application", case_id, "ZJ20261127000004"
            )
    body = holder.get(f"/api/v1/me/certificates/{cert['_id']}/access-log").get_json()
    assert [e["at"] for e in body["items"]] == [
        "2026-11-27T02:02:00.000Z",
        "2026-11-27T02:01:00.000Z",
    ]
    assert body["items"][0] == {
        "kind": "case_read",
        "at": "2026-11-27T02:02:00.000Z",
        "reader": {
            "name": "Wang Fang",
            "department": "AMR-330100",
            "department_name": "AMR-330100",
        },
        "case": {"kind": "application", "id": str(case_id), "tracking_no": "ZJ20261127000004"},
    }
    assert body["next_cursor"] is None


def test_an_unread_certificate_has_an_empty_access_log(users, issue):
    holder = users.resident()
    cert = issue(holder, "resident_id_card")
    body = holder.get(f"/api/v1/me/certificates/{cert['_id']}/access-log").get_json()
    assert body == {"items": [], "next_cursor": None}
