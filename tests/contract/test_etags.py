"""ETags on every single resource, declared in the document, and If-Match honoured wherever
a writable resource gives one out (issue 13, item 2)."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId

from app.wallet import certificates
from tests.conftest import PASSWORD, assert_envelope, ensure_department

# Single resources whose 2xx answers send an ETag; each must declare it.
SENDS_ETAG = (
    "getMyProfile",
    "updateMyProfile",
    "getMyCertificate",
    "downloadAttachment",
    "fileComplaint",
    "getComplaint",
    "assignComplaint",
    "resolveComplaint",
    "createComplaintCategory",
    "replaceComplaintCategory",
    "getSupervisionEvent",
    "acknowledgeSupervisionEvent",
    "addSupervisionNote",
    "closeSupervisionEvent",
)


@pytest.fixture
def operations(client) -> dict[str, dict[str, Any]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return {
        op["operationId"]: op
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }


def _success_headers(operation: dict[str, Any]) -> set[str]:
    return {
        name
        for code, response in operation["responses"].items()
        if code.startswith("2")
        for name in response.get("headers", {})
    }


@pytest.mark.parametrize("operation_id", SENDS_ETAG)
def test_each_single_resource_declares_its_etag(operations, operation_id):
    assert "ETag" in _success_headers(operations[operation_id])


def test_every_operation_taking_if_match_gives_out_the_etag_it_compares(operations):
    takes_if_match = [
        op_id
        for op_id, op in operations.items()
        if any(p.get("name") == "If-Match" for p in op.get("parameters", []))
    ]
    assert "updateMyProfile" in takes_if_match
    assert [o for o in takes_if_match if "ETag" not in _success_headers(operations[o])] == []


def test_my_profile_has_an_etag_answers_304_and_compares_if_match(users):
    resident = users.resident()
    first = resident.get("/api/v1/me")
    etag = first.headers["ETag"]
    assert etag == '"v0"'
    assert first.headers["Cache-Control"] == "no-store"
    assert resident.get("/api/v1/me", headers={"If-None-Match": etag}).status_code == 304

    changed = resident.patch("/api/v1/me", json={"name": "New Name"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.get_json()
    assert changed.headers["ETag"] == '"v1"'
    assert resident.get("/api/v1/me").headers["ETag"] == '"v1"'

    stale = resident.patch("/api/v1/me", json={"name": "Other"}, headers={"If-Match": etag})
    assert_envelope(stale, 412)
    assert resident.get("/api/v1/me").get_json()["name"] == "New Name"
    malformed = resident.patch("/api/v1/me", json={"name": "X"}, headers={"If-Match": "v1"})
    assert_envelope(malformed, 412)
    # Without If-Match the change applies as before, and moves the version on.
    assert resident.patch("/api/v1/me", json={"name": "Third"}).headers["ETag"] == '"v2"'


def test_a_password_change_with_a_stale_if_match_changes_nothing(users):
    resident = users.resident()
    resident.patch("/api/v1/me", json={"name": "Moved on"})
    stale = resident.patch(
        "/api/v1/me",
        json={"password": "Brand-new-pass-9", "current_password": PASSWORD},
        headers={"If-Match": '"v0"'},
    )
    assert_envelope(stale, 412)
    assert resident.get("/api/v1/me").status_code == 200  # sessions not revoked


def test_a_wallet_certificate_has_an_etag_and_answers_304(app, users):
    resident = users.resident()
    with app.app_context():
        ensure_department("PSB-330100")
        cert = certificates.issue(
            ObjectId(resident.id), "Resident", "resident_id_card", "PSB-330100", {}, None
        )
    path = f"/api/v1/me/certificates/{cert['_id']}"
    first = resident.get(path)
    assert first.status_code == 200, first.get_json()
    etag = first.headers["ETag"]
    assert resident.get(path).headers["ETag"] == etag
    assert resident.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert resident.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
