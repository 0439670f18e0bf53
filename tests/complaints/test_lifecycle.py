"""Complaint scenarios, one per kind of ending: resolved and confirmed; reopened and resolved
again; a dispute settled; a dispute not settled. Plus refusal routing and auto-close."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock, i18n
from app.complaints import service as complaints_service
from app.oversight import sla_sweep
from app.platform.worker import Worker
from tests.complaint_helpers import (
    AMR,
    HOTLINE,
    MEDIATION,
    MONDAY,
    act,
    dispute_body,
    file,
    ok,
)
from tests.conftest import assert_envelope, drain


def test_complaint_resolved_and_confirmed(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    assert created["status"] == "submitted"
    assert created["tracking_no"].startswith("RX20261123")
    # 4 working days from Monday 10:00 Beijing time: Friday 10:00.
    assert created["due_at"] == "2026-11-27T02:00:00.000Z"
    assert created["department"] == HOTLINE and created["repeat_of"] is None
    assert created["location"] == {"lat": 30.259, "lng": 120.13, "address": "1 Beishan Rd"}
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["location"] == {"type": "Point", "coordinates": [120.13, 30.259]}
    assert stored["warn_at"] is not None and stored["overdue_at"] == stored["due_at"]

    assigned = ok(act(hotline, created, "assign", {"department": AMR}))
    assert assigned["status"] == "assigned" and assigned["department"] == AMR
    replied = ok(act(amr, created, "reply", {"message": "Inspector sent tonight."}))
    assert replied["status"] == "replied"
    clock.advance(timedelta(days=1))
    resolved = ok(act(amr, created, "resolve", {"resolution": "Night work stopped."}))
    assert resolved["status"] == "resolved" and resolved["overdue"] is False
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["warn_at"] is None and stored["overdue_at"] is None
    assert stored["due_at"] is not None  # kept for the KPIs

    closed = ok(act(resident, created, "confirm"))
    assert closed["status"] == "closed" and closed["close_reason"] == "confirmed"
    rated = ok(act(resident, created, "rating", {"score": 5, "comment": "Fast"}))
    assert rated["rating"]["score"] == 5
    assert [e["action"] for e in rated["timeline"]] == [
        "submit",
        "assign",
        "reply",
        "resolve",
        "confirm",
        "rate",
    ]
    day = db.kpi_daily.find_one({"_id": f"{AMR}|2026-11-24"})["m"]
    assert day["complaints_resolved"] == 1 and day["complaints_on_time"] == 1
    assert day["complaint_ratings"] == 1 and day["complaint_ratings_satisfied"] == 1
    assert db.kpi_daily.find_one({"_id": f"{HOTLINE}|2026-11-23"})["m"]["complaints_received"] == 1
    assert db.audit.count_documents({"subject.id": created["id"]}) == 6
    # Once only.
    assert_envelope(act(resident, created, "rating", {"score": 4}), 409)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["rating"]["score"] == 5


def test_reopened_within_the_window_goes_back_with_a_fresh_clock_and_is_resolved_again(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Warned the site."}))
    clock.advance(timedelta(days=7))
    assert_envelope(act(resident, created, "reopen", {}), 422)  # the reason is required
    reopened = ok(act(resident, created, "reopen", {"reason": "It started again."}))
    assert reopened["status"] == "assigned" and reopened["department"] == AMR
    assert reopened["reopens"][0]["reason"] == "It started again."
    # Fresh 4 working days from Monday 30 Nov 10:00 Beijing time.
    assert reopened["due_at"] == "2026-12-04T02:00:00.000Z"
    event = db.supervision_events.find_one({"type": "complaint_reopened"})
    assert event["subject"]["id"] == created["id"] and event["department"] == AMR
    assert db.kpi_daily.find_one({"_id": f"{AMR}|2026-11-30"})["m"]["complaints_reopened"] == 1

    again = ok(act(amr, created, "resolve", {"resolution": "Permit revoked."}))
    assert again["status"] == "resolved" and again["resolution"] == "Permit revoked."
    bad = ok(act(resident, created, "rating", {"score": 2}))
    assert bad["rating"]["score"] == 2
    assert db.supervision_events.find_one({"type": "bad_rating"})["subject"]["id"] == created["id"]


def test_reopen_after_the_window_is_refused_and_nothing_changes(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Done."}))
    clock.advance(timedelta(days=15, minutes=1))
    assert_envelope(act(resident, created, "reopen", {"reason": "Still noisy"}), 409)
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["status"] == "resolved" and stored["reopens"] == []
    assert db.supervision_events.count_documents({"type": "complaint_reopened"}) == 0


def test_a_dispute_settled_orally_needs_no_agreement_text(world, db):
    """API.md v2: an oral mediation agreement is lawful, so `agreement` is optional."""
    resident, hotline, mediator = world["resident"], world["hotline"], world["mediator"]
    created = ok(resident.post("/api/v1/complaints", json=dispute_body()), 201)
    ok(act(hotline, created, "assign", {"mediation_org": MEDIATION}))
    settled = ok(
        act(mediator, created, "resolve", {"resolution": "Agreed orally.", "outcome": "settled"})
    )
    assert settled["status"] == "resolved" and settled["outcome"] == "settled"
    assert settled["agreement"] is None


def test_dispute_mediated_and_settled(world, db):
    resident, hotline, mediator = world["resident"], world["hotline"], world["mediator"]
    response = resident.post("/api/v1/complaints", json=dispute_body())
    created = ok(response, 201)
    assert created["parties"][0]["name"] == "Li Hua"  # the complainant sees them in full
    ok(act(hotline, created, "assign", {"mediation_org": MEDIATION}))
    # The hotline sees the parties masked.
    seen = ok(hotline.get(f"/api/v1/complaints/{created['id']}"))
    assert seen["parties"][0] == {"name": "L*****", "role": "respondent", "contact": "139****5678"}
    taken = ok(act(mediator, created, "take"))
    assert taken["mediator"]["id"] == mediator.id
    assert taken["parties"][0]["name"] == "Li Hua"  # the mediation staff see them in full
    session = ok(
        act(mediator, created, "sessions", {"notes": "Both sides met.", "attendees": ["Li"]}),
        201,
    )
    assert session["sessions"][0]["notes"] == "Both sides met."
    assert_envelope(act(mediator, created, "resolve", {"resolution": "Agreed."}), 422)
    assert_envelope(
        act(mediator, created, "resolve", {"resolution": "No.", "outcome": "not_settled"}), 422
    )
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "assigned"
    settled = ok(
        act(
            mediator,
            created,
            "resolve",
            {"resolution": "Agreed.", "outcome": "settled", "agreement": "Repairs by Friday."},
        )
    )
    assert settled["outcome"] == "settled" and settled["agreement"] == "Repairs by Friday."
    m = db.kpi_daily.find_one({"_id": f"{MEDIATION}|2026-11-23"})["m"]
    assert m["disputes_resolved"] == 1 and m["disputes_settled"] == 1


def test_dispute_not_settled_is_referred(world, db):
    resident, hotline, mediator = world["resident"], world["hotline"], world["mediator"]
    created = ok(resident.post("/api/v1/complaints", json=dispute_body()), 201)
    ok(act(hotline, created, "assign", {"mediation_org": MEDIATION}))
    ok(act(mediator, created, "sessions", {"notes": "No agreement."}), 201)
    result = ok(
        act(
            mediator,
            created,
            "resolve",
            {"resolution": "Failed.", "outcome": "not_settled", "referral": "Xihu District Court"},
        )
    )
    assert result["outcome"] == "not_settled" and result["referral"] == "Xihu District Court"
    assert result["mediator"]["id"] == mediator.id  # the first session took the case
    m = db.kpi_daily.find_one({"_id": f"{MEDIATION}|2026-11-23"})["m"]
    assert m["disputes_resolved"] == 1 and "disputes_settled" not in m


def test_parties_only_on_disputes_and_required_there(world):
    resident = world["resident"]
    bad = resident.post(
        "/api/v1/complaints", json=dispute_body() | {"kind": "complaint", "category": "noise"}
    )
    assert "parties" in assert_envelope(bad, 422)["errors"]
    no_parties = dispute_body()
    no_parties["parties"] = []
    assert (
        "parties"
        in assert_envelope(resident.post("/api/v1/complaints", json=no_parties), 422)["errors"]
    )


def test_outcome_is_only_for_disputes(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    response = act(amr, created, "resolve", {"resolution": "x", "outcome": "settled"})
    assert "outcome" in assert_envelope(response, 422)["errors"]
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "assigned"


def test_refused_assignment_goes_back_to_the_hotline_and_is_charged_to_nobody(world, db):
    resident, hotline, amr, tax = world["resident"], world["hotline"], world["amr"], world["tax"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": "TAX-330100"}))
    clock.advance(timedelta(days=1))  # Tuesday 10:00: one working day at the wrong place
    assert_envelope(act(amr, created, "refuse", {"reason": "Not ours"}), 404)  # not its case
    assert_envelope(act(tax, created, "refuse", {}), 422)
    refused = ok(act(tax, created, "refuse", {"reason": "Noise is not a tax matter."}))
    assert refused["status"] == "submitted" and refused["department"] == HOTLINE
    assert refused["refusals"][0]["department"] == "TAX-330100"
    assert refused["refusals"][0]["reason"] == "Noise is not a tax matter."
    # The day at the tax office is not charged: due moves from Friday to next Monday 10:00.
    assert refused["due_at"] == "2026-11-30T02:00:00.000Z"
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["status"] == "submitted" and stored["department"] == HOTLINE
    assert stored["assigned_at"] is None and stored["clock_excluded_seconds"] == 86400
    assert stored["overdue_at"] == stored["due_at"]
    # The refusing department no longer sees it; the hotline does, and cannot send it back.
    assert_envelope(tax.get(f"/api/v1/complaints/{created['id']}"), 404)
    again = act(hotline, created, "assign", {"department": "TAX-330100"})
    assert "department" in assert_envelope(again, 422)["errors"]
    ok(act(hotline, created, "assign", {"department": AMR}))
    assert ok(amr.get(f"/api/v1/complaints/{created['id']}"))["department"] == AMR


def test_only_the_hotline_holding_the_complaint_routes_it(world, db, users):
    resident, amr = world["resident"], world["amr"]
    created = file(resident)
    other_hotline = users.staff("HOTLINE-330000", ("window",), region="330000", kind="hotline")
    assert_envelope(act(amr, created, "assign", {"department": AMR}), 404)
    assert_envelope(act(other_hotline, created, "assign", {"department": AMR}), 404)
    assert_envelope(act(resident, created, "assign", {"department": AMR}), 403)
    hotline = world["hotline"]
    response = act(hotline, created, "assign", {"mediation_org": AMR})
    assert "mediation_org" in assert_envelope(response, 422)["errors"]
    response = act(hotline, created, "assign", {"department": AMR, "mediation_org": MEDIATION})
    assert_envelope(response, 422)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "submitted"


def test_unconfirmed_resolution_closes_itself_after_15_days(world, app, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    first, second = file(resident), file(resident, category="noise", title="Another")
    for created in (first, second):
        ok(act(hotline, created, "assign", {"department": AMR}))
        ok(act(amr, created, "resolve", {"resolution": "Done."}))
    ok(act(resident, second, "confirm"))
    with app.app_context():
        assert complaints_service.auto_close_due(clock.now() + timedelta(days=14), 10) == 0
        later = clock.now() + timedelta(days=15)
        clock.freeze(later)
        assert complaints_service.auto_close_due(later, 10) == 1
        assert complaints_service.auto_close_due(later, 10) == 0
    stored = db.complaints.find_one({"_id": ObjectId(first["id"])})
    assert stored["status"] == "closed" and stored["close_reason"] == "auto"
    assert stored["timeline"][-1]["action"] == "auto_close"
    assert stored["timeline"][-1]["actor"]["role"] == "system"
    assert db.complaints.find_one({"_id": ObjectId(second["id"])})["close_reason"] == "confirmed"


def test_auto_close_is_bounded_by_its_batch(world, app, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    for n in range(3):
        created = file(resident, title=f"Case {n}")
        ok(act(hotline, created, "assign", {"department": AMR}))
        ok(act(amr, created, "resolve", {"resolution": "Done."}))
    with app.app_context():
        later = clock.now() + timedelta(days=16)
        assert complaints_service.auto_close_due(later, 2) == 2
        assert complaints_service.auto_close_due(later, 2) == 1
    assert db.complaints.count_documents({"status": "closed"}) == 3


def test_auto_close_cli_command(world, app, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Done."}))
    clock.advance(timedelta(days=15))
    result = app.test_cli_runner().invoke(args=["complaints", "auto-close"])
    assert result.exit_code == 0 and "auto-closed: 1" in result.output
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "closed"


def test_stale_if_match_is_412_and_nothing_changes(world, db):
    resident, hotline = world["resident"], world["hotline"]
    created = file(resident)
    response = act(hotline, created, "assign", {"department": AMR}, headers={"If-Match": '"v7"'})
    assert_envelope(response, 412)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "submitted"
    good = act(hotline, created, "assign", {"department": AMR}, headers={"If-Match": '"v1"'})
    assert good.status_code == 200 and good.headers["ETag"] == '"v2"'


def test_a_lost_race_is_409(world, app, db):
    resident, hotline = world["resident"], world["hotline"]
    created = file(resident)
    stale = db.complaints.find_one({"_id": ObjectId(created["id"])})
    ok(act(hotline, created, "assign", {"department": AMR}))
    from app.accounts.auth import Principal
    from app.cases import engine
    from app.http.errors import Conflict

    staff = Principal.from_document(hotline.user)
    with app.test_request_context(), pytest.raises(Conflict):
        engine.fire("complaint", stale["_id"], "assign", staff, case=stale)


def test_only_the_complainant_confirms_reopens_and_rates(world, users, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Done."}))
    stranger = users.resident()
    assert_envelope(act(stranger, created, "confirm"), 404)
    assert_envelope(act(amr, created, "confirm"), 403)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["status"] == "resolved"


def test_due_date_uses_the_categorys_time_limit(world):
    created = ok(world["resident"].post("/api/v1/complaints", json=dispute_body()), 201)
    # neighbour_dispute: 5 working days from Monday 10:00 -> next Monday 10:00.
    assert created["due_at"] == "2026-11-30T02:00:00.000Z"
    assert created["time_limit"] == {"value": 5, "unit": "working_days"}


def test_overdue_is_computed(world, app):
    resident, hotline = world["resident"], world["hotline"]
    created = file(resident)
    clock.freeze(datetime(2026, 11, 27, 3, 0, tzinfo=UTC))
    seen = ok(hotline.get(f"/api/v1/complaints/{created['id']}"))
    assert seen["overdue"] is True
    clock.freeze(MONDAY)


def test_sla_warning_is_at_80_percent_of_the_working_time(world, db):
    created = file(world["resident"])
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    # 0.8 x 4 working days = 3.2 days from Monday 10:00 -> Thursday 14:48 Beijing time.
    assert stored["warn_at"] == datetime(2026, 11, 26, 6, 48, tzinfo=UTC)
    assert stored["clock_paused_at"] is None


def test_the_people_who_must_act_are_notified(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    Worker(world["amr"].client.application).run_once(force_housekeeping=False)
    # The department's staff are told by the worker, in their batched work summary.
    told = list(db.notifications.find({"user_id": amr.user["_id"]}))
    read = [(n["kind"], i18n.render(n["body"], n["params"], "zh-CN")) for n in told]
    assert read == [("staff_work", "部门收到投诉 1 件。")]
    ok(act(amr, created, "reply", {"message": "On our way."}))
    ok(act(amr, created, "resolve", {"resolution": "Done."}))
    notes = list(db.notifications.find({"user_id": resident.user["_id"]}).sort("_id", 1))
    # stored as templates; staff's own words are the {text} parameter, never translated
    assert [(n["body"], n["params"]["text"]) for n in notes] == [
        ("{text}", "On our way."),
        ("{text}", "Done."),
    ]


def test_one_mediator_per_case(world, users, db):
    resident, hotline, mediator = world["resident"], world["hotline"], world["mediator"]
    colleague = users.staff(MEDIATION, ("reviewer",), kind="mediation")
    created = ok(resident.post("/api/v1/complaints", json=dispute_body()), 201)
    ok(act(hotline, created, "assign", {"mediation_org": MEDIATION}))
    assert_envelope(act(world["amr"], created, "take"), 404)
    ok(act(mediator, created, "take"))
    assert_envelope(act(colleague, created, "take"), 409)
    assert_envelope(act(colleague, created, "sessions", {"notes": "x"}), 403)
    resolve = {"resolution": "x", "outcome": "not_settled", "referral": "Court"}
    assert_envelope(act(colleague, created, "resolve", resolve), 403)
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["mediator"]["id"] == mediator.id and stored["sessions"] == []
    assert stored["status"] == "assigned"


def test_a_complaint_routed_to_a_department_has_no_mediation_sessions(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    assert_envelope(act(amr, created, "sessions", {"notes": "x"}), 403)
    assert_envelope(act(amr, created, "take"), 403)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["sessions"] == []


def test_a_confirmed_complaint_cannot_be_reopened_or_resolved_again(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Done."}))
    ok(act(resident, created, "confirm"))
    assert_envelope(act(resident, created, "reopen", {"reason": "again"}), 409)
    assert_envelope(act(amr, created, "resolve", {"resolution": "again"}), 409)
    assert_envelope(act(resident, created, "rating", {"score": 0}), 422)
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["status"] == "closed" and stored["rating"] is None


def test_rating_before_resolution_is_409(world, db):
    created = file(world["resident"])
    assert_envelope(act(world["resident"], created, "rating", {"score": 5}), 409)
    assert db.complaints.find_one({"_id": ObjectId(created["id"])})["rating"] is None


def test_refusal_keeps_a_pending_warning_pending_and_moves_it(world, db):
    resident, hotline, tax = world["resident"], world["hotline"], world["tax"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": "TAX-330100"}))
    clock.advance(timedelta(days=1))
    ok(act(tax, created, "refuse", {"reason": "Not ours"}))
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["warn_at"] == datetime(2026, 11, 27, 6, 48, tzinfo=UTC)
    # A warning the oversight worker already raised (warn_at null) is not re-armed.
    db.complaints.update_one({"_id": stored["_id"]}, {"$set": {"warn_at": None}})
    ok(act(hotline, created, "assign", {"department": AMR}))
    clock.advance(timedelta(hours=2))
    ok(act(world["amr"], created, "refuse", {"reason": "Not ours either"}))
    assert db.complaints.find_one({"_id": stored["_id"]})["warn_at"] is None


def test_two_conflicting_transitions_at_once_one_wins_the_other_is_409(world, users, db):
    from concurrent.futures import ThreadPoolExecutor

    resident, hotline = world["resident"], world["hotline"]
    colleague = users.staff(HOTLINE, ("window",), kind="hotline")
    created = file(resident)
    targets = [(hotline, AMR), (colleague, "TAX-330100")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(
            pool.map(lambda t: act(t[0], created, "assign", {"department": t[1]}), targets)
        )
    assert sorted(r.status_code for r in responses) == [200, 409]
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    winner = next(t for t, r in zip(targets, responses, strict=True) if r.status_code == 200)
    assert stored["department"] == winner[1] and stored["version"] == 2
    assert [e["action"] for e in stored["timeline"]] == ["submit", "assign"]


def test_a_reopened_resolution_is_taken_back_from_the_kpis_and_counted_once_at_the_end(world, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Warned."}))
    clock.advance(timedelta(days=2))  # Wednesday
    ok(act(resident, created, "reopen", {"reason": "Again"}))
    monday = db.kpi_daily.find_one({"_id": f"{AMR}|2026-11-23"})["m"]
    assert monday["complaints_resolved"] == 0 and monday["complaints_on_time"] == 0
    assert monday["complaint_hours_sum"] == 0
    clock.advance(timedelta(days=1))  # Thursday
    ok(act(amr, created, "resolve", {"resolution": "Fined."}))
    wednesday = db.kpi_daily.find_one({"_id": f"{AMR}|2026-11-25"})["m"]
    assert wednesday["complaints_reopened"] == 1
    thursday = db.kpi_daily.find_one({"_id": f"{AMR}|2026-11-26"})["m"]
    # Handling time runs from the submission: Monday 10:00 to Thursday 10:00.
    assert thursday["complaints_resolved"] == 1 and thursday["complaint_hours_sum"] == 72


def test_a_reopened_complaint_is_a_new_round_its_events_are_raised_again(world, db, app):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))

    def overdue_events() -> int:
        with app.app_context():
            sla_sweep.sweep(100)
            sla_sweep.sweep(100)  # a second pass raises nothing twice
        drain(app)
        return db.supervision_events.count_documents({"type": "complaint_overdue"})

    clock.advance(timedelta(days=6))  # past the 4 working days
    assert overdue_events() == 1
    ok(act(amr, created, "resolve", {"resolution": "Warned the site."}))
    ok(act(resident, created, "reopen", {"reason": "It started again."}))
    assert overdue_events() == 1  # a fresh clock: not overdue yet
    clock.advance(timedelta(days=7))
    assert overdue_events() == 2  # late again in the second round: supervisors see it
    ok(act(amr, created, "resolve", {"resolution": "Permit revoked."}))
    ok(act(resident, created, "reopen", {"reason": "Back at night."}))
    reopened = list(db.supervision_events.find({"type": "complaint_reopened"}))
    assert len(reopened) == 2 and {e["subject"]["id"] for e in reopened} == {created["id"]}
