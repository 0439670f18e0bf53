"""The certificate service other features call: issue, ownership, reads through a case."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from app import clock
from app.accounts.auth import Principal
from app.http.errors import NotFound
from app.wallet import certificates
from tests.conftest import ensure_department


@pytest.fixture
def issuer(app):
    with app.app_context():
        ensure_department("AMR-330100", "330100")
    return "AMR-330100"


def test_issue_puts_a_numbered_certificate_in_the_holders_wallet_and_audits_it(db, issuer):
    clock.freeze(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    holder = ObjectId()
    case_id = ObjectId()
    cert = certificates.issue(
        holder,
        "Qiantang Software Ltd",
        "business_licence",
        issuer,
        {"company_name": "Qiantang Software Ltd"},
        {"kind": "application", "id": case_id, "tracking_no": "ZJ20261126000001"},
    )
    stored = db.certificates.find_one({"_id": cert["_id"]})
    assert stored["holder_id"] == holder
    assert stored["number"] == "ZJC20261126000001"
    assert stored["issuer_name"] == {"zh-CN": "AMR-330100"}  # the department's names, both
    assert stored["status"] == "valid"
    assert stored["valid_until"] is None
    assert stored["source"]["id"] == case_id
    audit = db.audit.find_one({"action": "certificate.issue"})
    assert audit["subject"] == {"kind": "certificate", "id": str(cert["_id"])}


def test_each_certificate_gets_its_own_number(db, issuer):
    numbers = {
        certificates.issue(ObjectId(), "H", "resident_id_card", issuer, {}, None)["number"]
        for _ in range(3)
    }
    assert len(numbers) == 3


def test_issuer_must_be_a_known_department(db):
    with pytest.raises(ValueError):
        certificates.issue(ObjectId(), "H", "business_licence", "NOPE-330100", {}, None)
    assert db.certificates.count_documents({}) == 0


def test_owned_returns_only_the_holders_certificates(db, issuer):
    mine = certificates.issue(ObjectId(), "A", "resident_id_card", issuer, {}, None)
    theirs = certificates.issue(ObjectId(), "B", "resident_id_card", issuer, {}, None)
    found = certificates.owned(mine["holder_id"], [mine["_id"], theirs["_id"], ObjectId()])
    assert list(found) == [mine["_id"]]


def test_read_through_case_logs_who_when_and_which_case(db, issuer):
    cert = certificates.issue(ObjectId(), "A", "resident_id_card", issuer, {"n": 1}, None)
    clock.freeze(datetime(2026, 11, 27, 1, 30, tzinfo=UTC))
    reader = Principal(id=str(ObjectId()), role="staff", name="Wang Fang", department=issuer)
    case_id = ObjectId()
    read = certificates.read_through_case(
        reader, cert["_id"], "application", case_id, "ZJ20261127000004"
    )
    assert read["_id"] == cert["_id"]
    (entry,) = db.certificate_access.find({})
    assert entry["certificate_id"] == cert["_id"]
    assert entry["holder_id"] == cert["holder_id"]
    assert entry["at"] == clock.now()
    assert entry["reader"] == {"id": reader.id, "name": "Wang Fang", "department": issuer}
    assert entry["case"] == {
        "kind": "application",
        "id": case_id,
        "tracking_no": "ZJ20261127000004",
    }


def test_reading_an_unknown_certificate_is_404_and_logs_nothing(db):
    reader = Principal(id=str(ObjectId()), role="staff", name="S", department="AMR-330100")
    with pytest.raises(NotFound):
        certificates.read_through_case(reader, ObjectId(), "application", ObjectId(), "ZJ1")
    assert db.certificate_access.count_documents({}) == 0
