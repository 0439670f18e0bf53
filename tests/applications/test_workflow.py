"""The staff workflow over HTTP: acceptance, parallel review, supplements, completion,
withdrawal, ratings and visits, each rule with its refusal and the database after it."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock, i18n
from app.accounts.auth import Principal
from app.cases import engine
from app.http.errors import Conflict
from app.platform.worker import Worker
from tests.applications.world import APPS
from tests.conftest import Api, assert_envelope
from tests.files import upload_id

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Hangzhou


def _unchanged(world, case, status="submitted", version=1):
    stored = world.stored(case)
    assert (stored["status"], stored["version"]) == (status, version)
    return stored


# ------------------------------------------------------------------ accept / reject


@pytest.mark.frozen(T0)
def test_accept_opens_one_review_task_per_department_and_starts_the_clock(world, db):
    case = world.submit()
    response = world.act("amr_window", case, "accept")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v2"'
    body = response.get_json()
    assert body["status"] == "in_review"
    assert [(r["department"], r["status"]) for r in body["reviews"]] == [
        ("AMR-330100", "pending"),
        ("TAX-330100", "pending"),
        ("SI-330100", "pending"),
    ]
    assert body["accepted_at"] == "2026-11-23T01:00:00.000Z"
    # One working day: the whole of Monday 24 Nov local time after 09:00 → Tue 09:00 local.
    assert body["due_at"] == "2026-11-24T01:00:00.000Z"
    stored = world.stored(case)
    assert stored["overdue_at"] == stored["due_at"]
    # 80 % of 24 working hours = 19.2 h after acceptance.
    assert stored["warn_at"] == datetime(2026, 11, 23, 20, 12, tzinfo=UTC)
    assert stored["inbox_keys"] == ["review:AMR-330100", "review:TAX-330100", "review:SI-330100"]
    assert db.audit.count_documents({"action": "application.accept"}) == 1
    kinds = [
        n["kind"] for n in db.notifications.find({"user_id": stored["applicant_id"]}).sort("_id")
    ]
    assert kinds == ["application.submit", "application.accept"]


def test_window_staff_of_the_region_accepts_for_the_lead_department(world, users):
    case = world.submit()
    window = users.staff("PSB-330100", ("window",))
    assert world.act(window, case, "accept").status_code == 200


def test_window_staff_of_another_city_cannot_see_the_case(world, users):
    case = world.submit()
    ningbo = users.staff("PSB-330200", ("window",), region="330200")
    assert_envelope(world.act(ningbo, case, "accept"), 404)
    _unchanged(world, case)


def test_co_department_cannot_accept_and_uninvolved_staff_get_404(world, users):
    case = world.submit()
    assert_envelope(world.act("tax", case, "accept"), 403)
    assert_envelope(world.act(users.staff("EDU-330100"), case, "accept"), 404)
    _unchanged(world, case)


def test_accepting_twice_is_409(world):
    case = world.accept(world.submit())
    assert_envelope(world.act("amr_head", case, "accept"), 409)
    _unchanged(world, case, "in_review", 2)


def test_stale_if_match_is_412_and_changes_nothing(world):
    case = world.submit()
    assert world.applicant.get(f"{APPS}/{case['id']}").headers["ETag"] == '"v1"'
    response = world.act("amr_window", case, "accept", headers={"If-Match": '"v7"'})
    assert_envelope(response, 412)
    _unchanged(world, case)
    assert_envelope(world.act("amr_window", case, "accept", headers={"If-Match": "bogus"}), 412)
    ok = world.act("amr_window", case, "accept", headers={"If-Match": '"v1"'})
    assert ok.status_code == 200


def test_two_concurrent_accepts_one_wins_the_other_gets_409(world, app):
    case = world.submit()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def accept(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"{APPS}/{case['id']}/accept", headers={"Authorization": f"Bearer {token}"}
        )
        results.append(response.status_code)

    threads = [
        threading.Thread(target=accept, args=(world.staff[who].token,))
        for who in ("amr_window", "amr_head")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    stored = _unchanged(world, case, "in_review", 2)
    assert [e["action"] for e in stored["timeline"]] == ["submit", "accept"]


def test_a_transition_fired_on_a_stale_read_loses_with_409(world, app):
    case = world.submit()
    with app.test_request_context():
        stale = world.stored(case)
        staff = Principal.from_document(world.staff["amr_window"].user)
        world.accept(case)  # someone else got there first
        with pytest.raises(Conflict):
            engine.fire("application", stale["_id"], "accept", staff, case=stale)
    _unchanged(world, case, "in_review", 2)


def test_reject_at_acceptance_needs_a_reason_and_stops_everything(world, db):
    case = world.submit()
    assert_envelope(world.act("amr_window", case, "reject", {}), 422)
    _unchanged(world, case)
    body = world.ok("amr_window", case, "reject", {"reason": "Name already registered"})
    assert body["status"] == "rejected"
    assert body["timeline"][-1]["note"] == "Name already registered"
    stored = world.stored(case)
    assert stored["inbox_keys"] == [] and stored["warn_at"] is None
    counters = world.kpi()
    assert counters["applications_rejected"] == 1


def test_supervisors_read_but_every_state_change_is_403(world, users):
    case = world.submit()
    supervisor = users.supervisor("330000")
    assert supervisor.get(f"{APPS}/{case['id']}").status_code == 200
    for action, payload in (
        ("accept", None),
        ("reject", {"reason": "x"}),
        ("complete", None),
        ("visits", {"purpose": "x"}),
        ("reviews/AMR-330100", {"decision": "approve"}),
        ("request-supplement", {"materials": ["articles"], "reason": "x"}),
        ("withdraw", None),
        ("rating", {"score": 5}),
        ("supplements", {"materials": [{"key": "articles", "attachment_id": world.articles}]}),
    ):
        assert_envelope(world.act(supervisor, case, action, payload), 403)
    _unchanged(world, case)


# ------------------------------------------------------------------ review


def test_all_departments_approve_then_approved(world, db):
    case = world.accept(world.submit())
    case = world.ok("tax", case, "reviews/TAX-330100", {"decision": "approve", "opinion": "ok"})
    assert case["status"] == "in_review"
    assert world.stored(case)["inbox_keys"] == ["review:AMR-330100", "review:SI-330100"]
    case = world.ok("si", case, "reviews/SI-330100", {"decision": "approve"})
    case = world.ok("amr_head", case, "reviews/AMR-330100", {"decision": "approve"})
    assert case["status"] == "approved"
    tax = next(r for r in case["reviews"] if r["department"] == "TAX-330100")
    assert tax["opinion"] == "ok" and tax["decided_at"]
    stored = world.stored(case)
    assert stored["inbox_keys"] == [] and stored["warn_at"] is not None  # clock still runs
    assert db.audit.count_documents({"action": "application.review"}) == 3


def test_any_department_rejecting_rejects_the_case_and_stops_the_clock(world, db):
    case = world.accept(world.submit())
    body = assert_envelope(world.act("si", case, "reviews/SI-330100", {"decision": "reject"}), 422)
    assert "opinion" in body["errors"]
    case = world.ok("si", case, "reviews/SI-330100", {"decision": "reject", "opinion": "No SI"})
    assert case["status"] == "rejected"
    stored = world.stored(case)
    assert stored["warn_at"] is None and stored["overdue_at"] is None
    assert stored["due_at"] is not None  # kept for KPIs
    assert_envelope(world.act("tax", case, "reviews/TAX-330100", {"decision": "approve"}), 409)
    counters = world.kpi()
    assert counters["applications_rejected"] == 1


def test_a_department_decides_only_its_own_task_once(world, users):
    case = world.accept(world.submit())
    assert_envelope(world.act("tax", case, "reviews/SI-330100", {"decision": "approve"}), 403)
    window_only = users.staff("TAX-330100", ("window",))
    assert_envelope(
        world.act(window_only, case, "reviews/TAX-330100", {"decision": "approve"}), 403
    )
    _unchanged(world, case, "in_review", 2)
    world.ok("tax", case, "reviews/TAX-330100", {"decision": "approve"})
    assert_envelope(
        world.act("tax", case, "reviews/TAX-330100", {"decision": "reject", "opinion": "x"}), 409
    )
    assert world.stored(case)["version"] == 3


def test_review_of_a_department_with_no_task_is_404(world, users):
    case = world.accept(world.submit())
    # PSB's window may see the case (same region) but PSB has no review task in it.
    psb = users.staff("PSB-330100", ("window", "reviewer"))
    decision = {"decision": "approve"}
    assert_envelope(world.act(psb, case, "reviews/PSB-330100", decision), 404)
    # EDU is not involved at all: the case is invisible to its staff.
    edu = users.staff("EDU-330100")
    assert_envelope(world.act(edu, case, "reviews/EDU-330100", decision), 404)
    _unchanged(world, case, "in_review", 2)


def test_review_before_acceptance_is_409(world):
    case = world.submit()
    assert_envelope(world.act("tax", case, "reviews/TAX-330100", {"decision": "approve"}), 409)
    _unchanged(world, case)


def test_invalid_decision_is_422(world):
    case = world.accept(world.submit())
    response = world.act("tax", case, "reviews/TAX-330100", {"decision": {"$ne": None}})
    assert "decision" in assert_envelope(response, 422)["errors"]


def test_departments_deciding_at_the_same_moment_both_count(world, app):
    case = world.accept(world.submit())
    barrier = threading.Barrier(3)
    results: list[int] = []

    def decide(token: str, dept: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"{APPS}/{case['id']}/reviews/{dept}",
            json={"decision": "approve"},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append(response.status_code)

    threads = [
        threading.Thread(target=decide, args=(world.staff[who].token, f"{dept}-330100"))
        for who, dept in (("amr_head", "AMR"), ("tax", "TAX"), ("si", "SI"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200, 200]
    stored = world.stored(case)
    assert stored["status"] == "approved" and stored["version"] == 5


# ------------------------------------------------------------------ supplements


@pytest.mark.frozen(T0)
def test_request_supplement_pauses_the_clock_and_supplements_resume_it(world, db):
    case = world.accept(world.submit())
    due_before = world.stored(case)["due_at"]
    clock.freeze(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    body = {"materials": ["articles"], "reason": "The articles are unsigned"}
    case = world.ok("tax", case, "request-supplement", body)
    assert case["status"] == "needs_supplement"
    assert case["supplement_request"]["materials"] == ["articles"]
    stored = world.stored(case)
    assert stored["clock_paused_at"] is not None
    assert stored["warn_at"] is None and stored["overdue_at"] is None
    assert stored["inbox_keys"] == []
    note = db.notifications.find_one({"kind": "application.request_supplement"})
    assert "articles" in i18n.render(note["body"], note["params"], "en")
    # Reviews wait while the applicant owes materials.
    assert_envelope(world.act("si", case, "reviews/SI-330100", {"decision": "approve"}), 409)

    clock.freeze(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))  # two working hours later
    fresh = upload_id(world.applicant)
    supplement = {"materials": [{"key": "articles", "attachment_id": fresh}], "note": "signed"}
    response = world.applicant.post(f"{APPS}/{case['id']}/supplements", json=supplement)
    assert response.status_code == 200
    case = response.get_json()
    assert case["status"] == "in_review" and case["supplement_request"] is None
    stored = world.stored(case)
    assert (stored["due_at"] - due_before).total_seconds() == 2 * 3600
    assert stored["overdue_at"] == stored["due_at"]
    assert stored["warn_at"] == datetime(2026, 11, 23, 22, 12, tzinfo=UTC)
    assert stored["clock_paused_at"] is None
    assert next(m for m in stored["materials"] if m["key"] == "articles")["attachment_id"] == (
        ObjectId(fresh)
    )
    assert db.attachments.find_one({"_id": ObjectId(fresh)})["cited"] is True
    assert stored["supplements"][0]["provided"] == ["articles"]
    # Back in the review inboxes of the departments still to decide.
    assert set(stored["inbox_keys"]) == {
        "review:AMR-330100",
        "review:TAX-330100",
        "review:SI-330100",
    }


def test_supplement_must_bring_what_was_asked_and_only_the_owner_sends_it(world, users):
    case = world.accept(world.submit())
    world.ok("tax", case, "request-supplement", {"materials": ["articles"], "reason": "x"})
    wrong = {"materials": [{"key": "legal_rep_id", "certificate_id": world.id_card}]}
    body = assert_envelope(
        world.applicant.post(f"{APPS}/{case['id']}/supplements", json=wrong), 422
    )
    assert "articles" in body["errors"]["materials"]
    other = users.enterprise()
    right = {"materials": [{"key": "articles", "attachment_id": world.articles}]}
    assert_envelope(other.post(f"{APPS}/{case['id']}/supplements", json=right), 404)
    assert_envelope(world.act("tax", case, "supplements", right), 403)
    _unchanged(world, case, "needs_supplement", 3)


def test_supplement_request_rules(world, users):
    case = world.accept(world.submit())
    bad = {"materials": ["bribe"], "reason": "x"}
    assert (
        "materials"
        in assert_envelope(world.act("tax", case, "request-supplement", bad), 422)["errors"]
    )
    assert_envelope(
        world.act(
            users.staff("EDU-330100"),
            case,
            "request-supplement",
            {"materials": ["articles"], "reason": "x"},
        ),
        404,
    )
    world.ok("tax", case, "reviews/TAX-330100", {"decision": "approve"})
    # A department that has decided cannot hold the case up any more.
    assert_envelope(
        world.act("tax", case, "request-supplement", {"materials": ["articles"], "reason": "x"}),
        409,
    )
    assert world.stored(case)["status"] == "in_review"


def test_supplements_outside_needs_supplement_are_409(world):
    case = world.accept(world.submit())
    right = {"materials": [{"key": "articles", "attachment_id": world.articles}]}
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/supplements", json=right), 409)
    _unchanged(world, case, "in_review", 2)


# ------------------------------------------------------------------ complete


def test_complete_issues_the_certificate_into_the_wallet_and_notifies(world, db):
    case = world.approve_all(world.accept(world.submit()))
    assert_envelope(world.act("tax", case, "complete"), 403)
    assert_envelope(world.act(world.staff["amr_head"], world.submit(), "complete"), 409)
    response = world.act("amr_head", case, "complete")
    assert response.status_code == 200
    case = response.get_json()
    assert case["status"] == "completed" and case["completed_at"]
    certificate = db.certificates.find_one({"_id": ObjectId(case["certificate_id"])})
    assert certificate["type"] == "business_licence"
    assert certificate["holder_id"] == world.applicant.user["_id"]
    assert certificate["issuer"] == "AMR-330100"
    assert certificate["source"]["tracking_no"] == case["tracking_no"]
    assert certificate["data"]["company_name"] == "Qiantang Software Ltd"
    # The response already names the certificate, and its ETag is the version stored.
    assert response.headers["ETag"] == f'"v{world.stored(case)["version"]}"'
    assert db.notifications.count_documents({"kind": "application.complete"}) == 1
    counters = world.kpi()
    assert counters["applications_completed"] == 1
    assert counters["completed_online"] == 1 and counters["completed_one_visit"] == 1
    assert counters["completed_on_time"] == 1
    assert sum(counters["processing_hours_hist"].values()) == 1


def test_an_item_without_a_certificate_completes_without_one(world, db):
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"issues_certificate": None}})
    case = world.approve_all(world.accept(world.submit()))
    case = world.ok("amr_head", case, "complete")
    assert case["certificate_id"] is None
    assert db.certificates.count_documents({"type": "business_licence"}) == 0


def test_the_certificate_is_part_of_the_completing_write_and_lands_in_the_wallet_once(
    world, db, app, monkeypatch
):
    case = world.approve_all(world.accept(world.submit()))
    monkeypatch.setattr(Api, "relay", False)
    response = world.act("amr_head", case, "complete")
    # The case names its certificate at once; the certificate itself is queued in the case's
    # own write (nothing between the completion and the issue can be lost).
    assert response.status_code == 200
    certificate_id = response.get_json()["certificate_id"]
    assert certificate_id is not None
    stored = world.stored(case)
    queued = [e for e in stored["outbox"] if e["type"] == "certificate"]
    assert [str(e["certificate"]["_id"]) for e in queued] == [certificate_id]
    assert db.certificates.count_documents({"source.id": stored["_id"]}) == 0
    worker = Worker(app)
    assert worker.run_once().relay["applied"] >= 1
    assert worker.run_once().relay["applied"] == 0
    certificate = db.certificates.find_one({"source.id": stored["_id"]})
    assert str(certificate["_id"]) == certificate_id and certificate["holder_id"]
    assert db.certificates.count_documents({"source.id": stored["_id"]}) == 1
    assert db.audit.count_documents({"subject.id": certificate_id}) == 1


# ------------------------------------------------------------------ withdraw


def test_owner_withdraws_only_before_acceptance(world, users):
    case = world.submit()
    assert_envelope(users.enterprise().post(f"{APPS}/{case['id']}/withdraw"), 404)
    assert_envelope(world.act("amr_window", case, "withdraw"), 403)
    _unchanged(world, case)
    response = world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert world.stored(case)["inbox_keys"] == []
    later = world.accept(world.submit())
    assert_envelope(world.applicant.post(f"{APPS}/{later['id']}/withdraw"), 409)
    _unchanged(world, later, "in_review", 2)


# ------------------------------------------------------------------ rating


def test_rating_once_after_a_terminal_state(world, db):
    case = world.submit()
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 5}), 409)
    world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    for bad in ({"score": 0}, {"score": 6}, {"score": "5"}, {"score": {"$ne": None}}):
        response = world.applicant.post(f"{APPS}/{case['id']}/rating", json=bad)
        assert "score" in assert_envelope(response, 422)["errors"]
    response = world.applicant.post(
        f"{APPS}/{case['id']}/rating", json={"score": 5, "comment": "fast"}
    )
    assert response.status_code == 201
    assert response.get_json()["rating"]["score"] == 5
    again = world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 1})
    assert_envelope(again, 409)
    assert world.stored(case)["rating"]["score"] == 5
    counters = world.kpi()
    assert counters["ratings"] == 1 and counters["ratings_satisfied"] == 1
    assert counters.get("bad_ratings", 0) == 0
    assert db.supervision_events.count_documents({}) == 0


def test_a_bad_rating_raises_a_supervision_event_without_personal_data(world, db):
    case = world.submit()
    world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 2})
    event = db.supervision_events.find_one({"type": "bad_rating"})
    assert event["subject"]["tracking_no"] == case["tracking_no"]
    assert event["department"] == "AMR-330100" and event["region"] == "330100"
    assert "Qiantang" not in event["summary"]
    assert world.applicant.user["phone"] not in event["summary"]
    assert world.kpi()["bad_ratings"] == 1


def test_only_the_owner_rates(world, users):
    case = world.submit()
    world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    assert_envelope(users.enterprise().post(f"{APPS}/{case['id']}/rating", json={"score": 5}), 404)
    assert_envelope(world.act("amr_window", case, "rating", {"score": 5}), 403)
    assert world.stored(case)["rating"] is None


# ------------------------------------------------------------------ visits


def test_visits_are_counted_and_one_more_than_allowed_raises_extra_visit(world, db, users):
    case = world.submit()
    response = world.act("amr_window", case, "visits", {"purpose": "Identity check"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["visit_count"] == 1
    assert body["visits"][0]["purpose"] == "Identity check"
    assert body["visits"][0]["staff"]["department"] == "AMR-330100"
    assert body["status"] == "submitted"
    # max_visits is 0 for company set-up: the first visit is already one too many.
    event = db.supervision_events.find_one({"type": "extra_visit"})
    assert event["subject"]["id"] == case["id"]
    world.act("tax", case, "visits", {"purpose": "Sign forms"})
    assert world.stored(case)["visit_count"] == 2
    assert db.supervision_events.count_documents({"type": "extra_visit"}) == 1
    assert_envelope(world.act(users.staff("EDU-330100"), case, "visits", {"purpose": "x"}), 404)
    assert_envelope(world.act("tax", case, "visits", {}), 422)
    assert world.stored(case)["visit_count"] == 2


def test_visits_within_the_allowance_raise_nothing(world, db):
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"max_visits": 1}})
    case = world.submit()
    world.ok("amr_window", case, "visits", {"purpose": "Collect licence"})
    assert db.supervision_events.count_documents({}) == 0
    world.ok("amr_window", case, "visits", {"purpose": "Again"})
    assert db.supervision_events.count_documents({"type": "extra_visit"}) == 1


def test_a_visit_on_a_withdrawn_case_is_409(world):
    case = world.submit()
    world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    assert_envelope(world.act("amr_window", case, "visits", {"purpose": "x"}), 409)
    assert world.stored(case)["visit_count"] == 0


def test_visits_make_a_completion_count_as_one_visit_not_online(world, db):
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"max_visits": 1}})
    case = world.approve_all(world.accept(world.submit()))
    world.ok("amr_window", case, "visits", {"purpose": "Collect licence"})
    world.ok("amr_head", case, "complete")
    counters = world.kpi()
    assert counters["completed_online"] == 0 and counters["completed_one_visit"] == 1


# ------------------------------------------------------------------ the clock


@pytest.mark.frozen(T0)
def test_overdue_once_due_passes_and_a_late_completion_stays_overdue(world, db):
    case = world.approve_all(world.accept(world.submit()))
    path = f"{APPS}/{case['id']}"
    clock.freeze(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))  # exactly due
    assert world.applicant.get(path).get_json()["overdue"] is False
    clock.advance(timedelta(minutes=1))
    assert world.applicant.get(path).get_json()["overdue"] is True
    case = world.ok("amr_head", case, "complete")
    assert case["overdue"] is True
    clock.advance(timedelta(days=30))
    assert world.applicant.get(path).get_json()["overdue"] is True
    assert world.applicant.get(APPS).get_json()["items"][0]["overdue"] is True
    counters = db.kpi_daily.find_one({"_id": "AMR-330100|2026-11-24"})["m"]
    assert counters["applications_completed"] == 1
    assert counters.get("completed_on_time", 0) == 0


@pytest.mark.frozen(T0)
def test_a_paused_case_is_not_overdue_while_the_applicant_owes_materials(world):
    case = world.accept(world.submit())
    world.ok("tax", case, "request-supplement", {"materials": ["articles"], "reason": "x"})
    clock.advance(timedelta(days=10))
    assert world.applicant.get(f"{APPS}/{case['id']}").get_json()["overdue"] is False


@pytest.mark.frozen(T0)
def test_resuming_re_arms_only_the_sla_events_still_pending(world, db):
    case = world.accept(world.submit())
    # The oversight sweep raised the 80 % warning already (and nulled warn_at).
    db.applications.update_one({"_id": ObjectId(case["id"])}, {"$set": {"warn_at": None}})
    clock.advance(timedelta(hours=1))
    case = world.ok("tax", case, "request-supplement", {"materials": ["articles"], "reason": "x"})
    clock.advance(timedelta(hours=1))
    materials = [{"key": "articles", "attachment_id": world.articles}]
    world.applicant.post(f"{APPS}/{case['id']}/supplements", json={"materials": materials})
    stored = world.stored(case)
    assert stored["warn_at"] is None  # not warned twice
    assert stored["overdue_at"] == stored["due_at"]
    assert stored["due_at"] == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def test_every_state_change_honours_if_match(world):
    """At each step a stale ETag is refused with 412 and the case stays as it was; the
    current ETag goes through."""
    case = world.submit()
    materials = [{"key": "articles", "attachment_id": world.articles}]
    steps = [
        ("amr_window", "visits", {"purpose": "ID check"}),
        ("amr_window", "accept", None),
        ("tax", "request-supplement", {"materials": ["articles"], "reason": "x"}),
        (world.applicant, "supplements", {"materials": materials}),
        ("tax", "reviews/TAX-330100", {"decision": "approve"}),
        ("si", "reviews/SI-330100", {"decision": "approve"}),
        ("amr_head", "reviews/AMR-330100", {"decision": "approve"}),
        ("amr_head", "complete", None),
        (world.applicant, "rating", {"score": 4}),
    ]
    for who, action, payload in steps:
        before = world.stored(case)
        stale = {"If-Match": f'"v{before["version"] - 1}"'}
        assert_envelope(world.act(who, case, action, payload, headers=stale), 412)
        assert world.stored(case)["version"] == before["version"], action
        current = {"If-Match": f'"v{before["version"]}"'}
        response = world.act(who, case, action, payload, headers=current)
        assert response.status_code in (200, 201), (action, response.get_json())
        now_at = world.stored(case)["version"]
        assert response.headers["ETag"] == f'"v{now_at}"' and now_at > before["version"]
    assert world.stored(case)["status"] == "completed"


def test_withdraw_and_reject_honour_if_match(world):
    for who, action, payload in (
        (world.applicant, "withdraw", None),
        ("amr_window", "reject", {"reason": "Duplicate"}),
    ):
        case = world.submit()
        assert_envelope(world.act(who, case, action, payload, headers={"If-Match": '"v9"'}), 412)
        _unchanged(world, case)
        assert (
            world.act(who, case, action, payload, headers={"If-Match": '"v1"'}).status_code == 200
        )


def _a_visit_lands_between_read_and_write(world, monkeypatch, case):
    """Make the first accept attempt lose its compare-and-set to a visit written meanwhile."""
    from app.applications import rules as wf

    real, landed = wf.open_reviews, []

    def open_reviews(departments):
        if not landed:
            landed.append(True)
            world.db.applications.update_one(
                {"_id": ObjectId(case["id"])}, {"$inc": {"version": 1, "visit_count": 1}}
            )
        return real(departments)

    monkeypatch.setattr(wf, "open_reviews", open_reviews)


def test_an_accept_is_not_lost_to_a_visit_recorded_at_the_same_moment(world, monkeypatch):
    case = world.submit()
    _a_visit_lands_between_read_and_write(world, monkeypatch, case)
    response = world.act("amr_window", case, "accept")
    assert response.status_code == 200, response.get_json()
    stored = world.stored(case)
    assert (stored["status"], stored["version"], stored["visit_count"]) == ("in_review", 3, 1)


def test_with_if_match_the_same_race_is_a_409_not_a_retry(world, monkeypatch):
    case = world.submit()
    _a_visit_lands_between_read_and_write(world, monkeypatch, case)
    response = world.act("amr_window", case, "accept", headers={"If-Match": '"v1"'})
    assert_envelope(response, 409)
    _unchanged(world, case, "submitted", 2)
