"""Proof by commitment (告知承诺制): an accepted commitment replaces the proof and is recorded
with its text's version and hash; completion opens a verification task for the lead
department; a false commitment revokes the case's certificate (wallet and /verify say so),
raises `false_commitment` and bars the applicant's next commitment."""

import hashlib

from bson import ObjectId

from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain

TEXT = "本人承诺所提交的公司章程真实有效，如有不实，愿承担相应法律责任。"
COMMITTED = {"key": "articles", "commitment": {"version": 2, "accepted": True}}


def _with_commitment(world) -> None:
    world.db.matters.update_one(
        {"_id": world.matter["_id"]},
        {"$set": {"materials.0.commitment": {"text": TEXT, "version": 2}}},
    )


def _committed_body(world) -> dict:
    body = world.body()
    body["materials"] = [COMMITTED, {"key": "legal_rep_id", "certificate_id": world.id_card}]
    return body


def _completed(world) -> dict:
    case = world.submit(**_committed_body(world))
    return world.ok("amr_window", world.approve_all(world.accept(case)), "complete")


def _inbox(api) -> list[str]:
    response = api.get("/api/v1/staff/inbox", query_string={"kind": "verification"})
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_commitment_replaces_the_proof_and_is_recorded(world):
    _with_commitment(world)
    case = world.submit(**_committed_body(world))
    given = next(m for m in case["materials"] if m["key"] == "articles")
    assert given["commitment"]["version"] == 2
    assert given["commitment"]["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    assert given["commitment"]["accepted_at"]
    assert "attachment_id" not in given
    for wrong, key in (
        ({"version": 1, "accepted": True}, "articles"),  # an older text
        ({"version": 2, "accepted": False}, "articles"),
    ):
        body = _committed_body(world)
        body["materials"][0] = {"key": key, "commitment": wrong}
        refused = world.applicant.post(APPS, json=body)
        assert assert_envelope(refused, 422)["errors"]["materials"][key]
    body = world.body()
    body["materials"][1] = {"key": "legal_rep_id", "commitment": {"version": 1, "accepted": True}}
    refused = world.applicant.post(APPS, json=body)
    assert assert_envelope(refused, 422)["errors"]["materials"]["legal_rep_id"]


def test_a_false_commitment_revokes_the_certificate_and_bars_the_next_one(world, app, db, anon):
    _with_commitment(world)
    done = _completed(world)
    assert done["verification"]["status"] == "pending"
    assert done["verification"]["materials"] == ["articles"]
    head = world.staff["amr_head"]
    assert _inbox(head) == [done["id"]]
    assert _inbox(world.staff["tax"]) == []
    drain(app)
    wallet = "/api/v1/me/certificates"
    token = world.applicant.post(f"{wallet}/{done['certificate_id']}/presentations").get_json()

    # Another department may not verify; a false result needs a note.
    assert world.act("tax", done, "verification", {"result": "false", "note": "x"}).status_code in (
        403,
        404,
    )
    assert_envelope(world.act(head, done, "verification", {"result": "false"}), 422)
    verified = world.ok(head, done, "verification", {"result": "false", "note": "章程系伪造"})
    assert verified["verification"]["status"] == "false"
    assert verified["verification"]["decided_by"]["department"] == "AMR-330100"
    assert_envelope(world.act(head, verified, "verification", {"result": "confirmed"}), 409)
    assert _inbox(head) == []
    drain(app)

    cert = world.applicant.get(f"{wallet}/{done['certificate_id']}").get_json()
    assert cert["revoked"] is True and cert["revoked_reason"] == "章程系伪造"
    assert cert["status"] == "revoked"
    answer = anon.get(f"/api/v1/verify/{token['token']}").get_json()
    assert answer["revoked"] is True and answer["valid"] is False
    (event,) = db.supervision_events.find({"type": "false_commitment"})
    assert event["subject"]["id"] == done["id"] and "章程" not in event["summary"]
    assert db.notifications.count_documents(
        {"user_id": ObjectId(world.applicant.id), "kind": "application.false_commitment"}
    )

    barred = world.applicant.post(APPS, json=_committed_body(world))
    problems = assert_envelope(barred, 422)["errors"]["materials"]["articles"]
    assert any("found false" in p for p in problems)
    world.submit()  # with the document itself, the applicant still applies


def test_a_confirmed_commitment_keeps_the_certificate(world, app, db):
    _with_commitment(world)
    done = _completed(world)
    head = world.staff["amr_head"]
    verified = world.ok(head, done, "verification", {"result": "confirmed", "note": "核查属实"})
    assert verified["verification"]["result"] == "confirmed"
    drain(app)
    cert = db.certificates.find_one({"_id": ObjectId(done["certificate_id"])})
    assert cert["status"] == "valid"
    assert db.commitment_bars.count_documents({}) == 0
    world.submit(**_committed_body(world))  # not barred
    assert world.kpi()["completed_on_promise"] == 1


def test_a_case_without_commitments_has_nothing_to_verify(world):
    case = world.submit()
    done = world.ok("amr_window", world.approve_all(world.accept(case)), "complete")
    assert done["verification"] is None
    refused = world.act("amr_head", done, "verification", {"result": "confirmed"})
    assert_envelope(refused, 409)
