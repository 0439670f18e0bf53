"""Accept now, hand in later (容缺受理): a deferrable material may be left out; `accept` records
it with its due time; handing it in clears it; `complete` waits for it; a lapsed promise
terminates the case (the worker's sweep, with the clock moved), raising
`deferred_material_overdue` and telling the applicant."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock
from app.oversight import kpi_rebuild, sla_sweep
from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain
from tests.matters import definition

T0 = datetime(2026, 11, 24, 2, tzinfo=UTC)  # a Tuesday, 10:00 in Hangzhou
ADMIN_MATTERS = "/api/v1/admin/matters"


def _deferrable(world) -> None:
    world.db.matters.update_one(
        {"_id": world.matter["_id"]}, {"$set": {"materials.0.deferrable": True}}
    )


def _without_articles(world) -> dict:
    body = world.body()
    body["materials"] = [m for m in body["materials"] if m["key"] != "articles"]
    return body


def _sweep(app) -> dict:
    with app.app_context():
        report = sla_sweep.sweep(100)
    drain(app)
    return report


@pytest.mark.frozen(T0)
def test_a_deferred_material_is_recorded_at_acceptance_and_blocks_completion(world, app):
    _deferrable(world)
    case = world.submit(**_without_articles(world))
    assert case["status"] == "submitted" and case["deferred_materials"] == []
    case = world.accept(case)
    (later,) = case["deferred_materials"]
    assert later["key"] == "articles"
    # Five working days from Tuesday 10:00 (Hangzhou): the next Tuesday 10:00.
    assert later["due_at"] == "2026-12-01T02:00:00.000Z"
    case = world.approve_all(case)
    assert case["status"] == "approved"
    refused = world.act("amr_window", case, "complete")
    body = assert_envelope(refused, 409)
    assert body["errors"]["deferred_materials"] == ["articles"]

    handed = world.applicant.post(
        f"{APPS}/{case['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": world.articles}]},
    )
    assert handed.status_code == 200, handed.get_json()
    handed = handed.get_json()
    assert handed["status"] == "approved" and handed["deferred_materials"] == []
    assert "articles" in [m["key"] for m in handed["materials"]]
    assert handed["timeline"][-1]["action"] == "hand_in"
    assert world.stored(case)["deferred_due_at"] is None
    done = world.ok("amr_window", handed, "complete")
    assert done["status"] == "completed"

    # The share of cases accepted on a promise: counted through the outbox, rebuilt alike.
    world.ok("amr_window", world.approve_all(world.accept(world.submit())), "complete")
    drain(app)
    assert world.kpi()["completed_on_promise"] == 1
    assert world.kpi()["applications_completed"] == 2
    supervisor = world.users.supervisor()
    assert supervisor.get("/api/v1/stats/overview").get_json()["promise_rate"] == 0.5
    with app.app_context():
        kpi_rebuild.rebuild()
    assert world.kpi()["completed_on_promise"] == 1
    assert supervisor.get("/api/v1/stats/overview").get_json()["promise_rate"] == 0.5


@pytest.mark.frozen(T0)
def test_only_deferrable_materials_may_be_left_out_or_handed_in_later(world):
    _deferrable(world)
    body = world.body()
    body["materials"] = [{"key": "articles", "attachment_id": world.articles}]
    refused = world.applicant.post(APPS, json=body)
    assert assert_envelope(refused, 422)["errors"]["materials"]["legal_rep_id"]
    case = world.accept(world.submit(**_without_articles(world)))
    wrong = world.applicant.post(
        f"{APPS}/{case['id']}/supplements",
        json={"materials": [{"key": "legal_rep_id", "certificate_id": world.id_card}]},
    )
    assert assert_envelope(wrong, 422)["errors"]["materials"]["legal_rep_id"]
    # Another applicant's file is not theirs to hand in.
    other = world.users.enterprise(name="Other Ltd")
    stolen = other.post(
        f"{APPS}/{case['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": world.articles}]},
    )
    assert stolen.status_code == 404


def test_a_case_with_a_material_to_come_is_never_approved_instantly(world):
    from tests.applications.test_instant_approval import APPROVING, with_rules

    _deferrable(world)
    with_rules(world, APPROVING)
    assert world.submit()["status"] == "completed"  # everything given: the rules decide
    case = world.submit(**_without_articles(world))
    assert case["status"] == "submitted" and case["decision"] is None


@pytest.mark.frozen(T0)
def test_a_lapsed_promise_terminates_the_case_once(world, app, db):
    _deferrable(world)
    case = world.accept(world.submit(**_without_articles(world)))
    on_time = world.accept(world.submit(**_without_articles(world)))
    world.applicant.post(
        f"{APPS}/{on_time['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": world.articles}]},
    )
    clock.freeze(datetime(2026, 12, 1, 1, 59, tzinfo=UTC))  # one minute before the deadline
    _sweep(app)
    assert world.stored(case)["status"] == "in_review"

    clock.freeze(datetime(2026, 12, 1, 2, 1, tzinfo=UTC))
    assert _sweep(app)["cleared"] >= 1
    _sweep(app)  # a second pass changes nothing
    stored = world.stored(case)
    assert stored["status"] == "terminated"
    assert stored["deferred_due_at"] is None and stored["overdue_at"] is None
    last = stored["timeline"][-1]
    assert (last["action"], last["actor"]["role"], last["to_status"]) == (
        "terminate",
        "system",
        "terminated",
    )
    assert world.stored(on_time)["status"] == "in_review"
    events = list(db.supervision_events.find({"type": "deferred_material_overdue"}))
    assert [e["subject"]["id"] for e in events] == [case["id"]]
    told = db.notifications.count_documents(
        {"user_id": ObjectId(world.applicant.id), "kind": "application.terminate"}
    )
    assert told == 1
    # Terminated is terminal: nothing more to hand in, no completion.
    late = world.applicant.post(
        f"{APPS}/{case['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": world.articles}]},
    )
    assert late.status_code == 409
    assert world.applicant.get(f"{APPS}/{case['id']}").get_json()["status"] == "terminated"
    assert timedelta(0) < clock.now() - T0


def test_the_catalogue_takes_deferrable_and_commitment_materials(world, users):
    admin = users.admin()
    materials = [
        {"key": "articles", "name": "Articles", "required": True, "deferrable": True},
        {
            "key": "no_record",
            "name": "No criminal record",
            "required": True,
            "commitment": {"text": "本人承诺无犯罪记录。", "version": 2},
        },
    ]
    saved = admin.post(ADMIN_MATTERS, json=definition(code="ZJ-DEFERRED", materials=materials))
    assert saved.status_code == 201, saved.get_json()
    got = saved.get_json()["materials"]
    assert got[0]["deferrable"] is True
    assert got[1]["commitment"] == {"text": "本人承诺无犯罪记录。", "version": 2}
    optional = [{"key": "x", "name": "X", "required": False, "deferrable": True}]
    refused = admin.post(ADMIN_MATTERS, json=definition(code="ZJ-OTHER", materials=optional))
    assert "deferrable" in str(assert_envelope(refused, 422)["errors"])


def test_the_demo_catalogue_shows_a_deferrable_material_and_a_commitment(app, client):
    from app.seed import seed_demo

    with app.app_context():
        seed_demo()
    medins = client.get("/api/v1/matters/ZJ-MEDINS-OUT-OF-TOWN").get_json()
    assert [m["key"] for m in medins["materials"] if m.get("deferrable")] == ["expense_list"]
    benefit = client.get("/api/v1/matters/ZJ-UNEMPLOY-BENEFIT").get_json()
    (committed,) = [m for m in benefit["materials"] if m.get("commitment")]
    assert committed["key"] == "termination_proof" and committed["commitment"]["version"] == 1
