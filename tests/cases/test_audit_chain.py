"""The tamper-evident audit log: every record chained to its subject's previous one, each
chain's head kept, each finished day's digest signed; `flask audit verify` finds an edited,
deleted, reordered or inserted record (also the latest of a chain, and today's, before any
digest exists) and names the first one by id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import audit, clock
from tests.applications.world import APPS
from tests.conftest import drain


def verify(app, *args: str):
    result = app.test_cli_runner().invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


@pytest.fixture
def history(world, app, db):
    """Two cases with a few commands each, relayed into the log."""
    first, second = world.submit(), world.submit()
    world.accept(first)
    world.accept(second)
    world.ok("tax", first, "reviews/TAX-330100", {"decision": "approve"})
    drain(app)
    return first, second


def records_of(db, case):
    return list(db.audit.find({"subject.id": case["id"]}).sort("seq", 1))


def test_an_untouched_log_verifies_and_each_subject_has_its_own_chain(history, app, db):
    first, second = history
    code, output = verify(app)
    assert code == 0, output
    assert "intact" in output
    chain = records_of(db, first)
    assert [r["seq"] for r in chain] == [1, 2, 3]
    assert chain[0]["prev"] is None
    assert all(b["prev"] == a["hash"] for a, b in zip(chain, chain[1:], strict=False))
    head = db.audit_heads.find_one({"_id": f"application:{first['id']}"})
    assert head["seq"] == 3 and head["hash"] == chain[-1]["hash"]
    # The other case's chain is its own: commands on different cases share no head.
    assert [r["seq"] for r in records_of(db, second)] == [1, 2]


def test_an_edited_record_is_named(history, app, db):
    first, _ = history
    target = records_of(db, first)[1]
    db.audit.update_one({"_id": target["_id"]}, {"$set": {"after.status": "completed"}})
    code, output = verify(app)
    assert code == 1
    assert f"record {target['_id']}" in output and "content" in output


def test_an_edited_record_with_a_recomputed_hash_breaks_the_next_link(history, app, db):
    first, _ = history
    chain = records_of(db, first)
    forged = {**chain[0], "actor": {"id": None, "role": "system"}}
    forged["hash"] = audit.record_hash(forged)
    db.audit.replace_one({"_id": forged["_id"]}, forged)
    code, output = verify(app)
    assert code == 1
    assert f"record {chain[1]['_id']}" in output and "link" in output


def test_a_deleted_middle_record_is_detected_at_the_next_one(history, app, db):
    first, _ = history
    chain = records_of(db, first)
    db.audit.delete_one({"_id": chain[1]["_id"]})
    code, output = verify(app)
    assert code == 1
    assert str(chain[2]["_id"]) in output


def test_a_deleted_latest_record_is_detected_by_the_chain_head(history, app, db):
    first, _ = history
    chain = records_of(db, first)
    db.audit.delete_one({"_id": chain[-1]["_id"]})
    code, output = verify(app)
    assert code == 1
    assert f"record {chain[-1]['_id']}" in output and "head" in output


def test_reordered_records_are_detected(history, app, db):
    first, _ = history
    a, b = records_of(db, first)[:2]
    db.audit.update_one({"_id": a["_id"]}, {"$set": {"seq": 99}})
    db.audit.update_one({"_id": b["_id"]}, {"$set": {"seq": 1}})
    db.audit.update_one({"_id": a["_id"]}, {"$set": {"seq": 2}})
    code, output = verify(app)
    assert code == 1
    assert "link" in output


def test_a_whole_chain_deleted_is_detected_by_its_head(history, app, db):
    _, second = history
    db.audit.delete_many({"subject.id": second["id"]})
    code, output = verify(app)
    assert code == 1
    assert "lost its records" in output


def test_a_sealed_day_detects_a_chain_removed_with_its_head_and_a_record_slipped_in(
    history, app, db
):
    _, second = history
    tomorrow = clock.now() + timedelta(days=1, hours=1)
    with app.app_context():
        assert audit.seal_days(tomorrow) == 1
        assert audit.seal_days(tomorrow) == 0  # sealed once
    digest = db.audit_digests.find_one({"_id": audit.day_of(clock.now())})
    assert digest["count"] == db.audit.count_documents({}) and digest["signature"]
    assert verify(app)[0] == 0
    # Everything of one subject removed, head included: only the signed digest can tell.
    removed = records_of(db, second)
    db.audit.delete_many({"subject.id": second["id"]})
    db.audit_heads.delete_one({"_id": f"application:{second['id']}"})
    code, output = verify(app)
    assert code == 1 and "signed digest" in output
    db.audit.insert_many(removed)
    db.audit_heads.insert_one(
        {
            "_id": f"application:{second['id']}",
            "seq": 2,
            "hash": removed[-1]["hash"],
            "last_id": removed[-1]["_id"],
        }
    )
    assert verify(app)[0] == 0
    # A forged digest signature is refused too.
    db.audit_digests.update_one({"_id": digest["_id"]}, {"$set": {"count": digest["count"] + 1}})
    code, output = verify(app)
    assert code == 1 and "signature invalid" in output


def test_verify_since_a_day_checks_from_there_on(history, app, db):
    first, _ = history
    code, output = verify(app, "--since", clock.now().strftime("%Y-%m-%d"))
    assert code == 0, output
    later = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    code, output = verify(app, "--since", later)
    assert code == 0 and "audit records: 0" in output


def test_a_staff_read_of_a_cited_certificate_is_audited(world, app, db):
    case = world.submit()
    response = world.staff["amr_window"].get(
        f"{APPS}/{case['id']}/materials/legal_rep_id/certificate"
    )
    assert response.status_code == 200, response.get_json()
    (record,) = list(db.audit.find({"action": "certificate.read"}))
    assert record["subject"] == {"kind": "certificate", "id": world.id_card}
    assert record["actor"]["id"] == world.staff["amr_window"].id
    assert record["detail"]["case"]["tracking_no"] == case["tracking_no"]
    assert verify(app)[0] == 0
