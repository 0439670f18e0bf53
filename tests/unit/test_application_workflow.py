"""The application state machine, without a database: states, who may fire what, the clock."""

from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.auth import Principal
from app.applications import rules as wf
from app.cases.workflow import states_reachable
from app.http.errors import Conflict, Forbidden

T0 = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


def case(status="submitted", **extra):
    doc = {
        "status": status,
        "applicant_id": "a" * 24,
        "department": "AMR-330100",
        "co_departments": ["TAX-330100", "SI-330100"],
        "region": "330100",
        "region_path": ["330000", "330100"],
        "reviews": wf.open_reviews(["AMR-330100", "TAX-330100", "SI-330100"]),
    }
    doc.update(extra)
    return doc


def staff(department="AMR-330100", duties=("reviewer",), region="330100"):
    return Principal(
        id="b" * 24, role="staff", department=department, duties=tuple(duties), region=region
    )


OWNER = Principal(id="a" * 24, role="enterprise")
STRANGER = Principal(id="c" * 24, role="enterprise")
SUPERVISOR = Principal(id="d" * 24, role="supervisor", region="330000")


def test_every_state_is_reachable_from_submitted_and_terminal_states_are_final():
    reachable = states_reachable(wf.MACHINE, "submitted")
    for target in wf.REVIEW_TARGETS:  # a deciding review moves in_review there
        reachable |= states_reachable(wf.MACHINE, target)
    assert reachable == set(wf.STATES)
    for state in ("completed", "rejected", "withdrawn"):
        assert all(t.target is None for t in wf.MACHINE.transitions if state in t.sources), (
            f"{state} must not move on"
        )


def test_lead_department_staff_of_any_duty_may_accept():
    wf.check("accept", staff(duties=("reviewer",)), case())


def test_window_staff_of_the_region_or_above_may_accept_for_another_department():
    wf.check("accept", staff("PSB-330100", ("window",)), case())
    wf.check("accept", staff("CA-330000", ("window",), region="330000"), case())


def test_window_staff_of_a_sibling_or_lower_region_may_not_accept():
    with pytest.raises(Forbidden):
        wf.check("accept", staff("PSB-330200", ("window",), region="330200"), case())
    lower = case(region="330100", region_path=["330000", "330100"])
    with pytest.raises(Forbidden):
        wf.check("accept", staff("PSB-330122", ("window",), region="330122"), lower)


def test_co_department_reviewer_may_not_accept():
    with pytest.raises(Forbidden):
        wf.check("accept", staff("TAX-330100"), case())


def test_accept_twice_is_a_conflict():
    with pytest.raises(Conflict):
        wf.check("accept", staff(), case("in_review"))


def test_supervisors_and_applicants_never_act_as_staff():
    for action in ("accept", "reject", "complete", "request_supplement", "record_visit"):
        with pytest.raises(Forbidden):
            wf.check(action, SUPERVISOR, case())
        with pytest.raises(Forbidden):
            wf.check(action, OWNER, case())


def test_review_only_by_own_department_with_a_deciding_duty():
    wf.check("review", staff("TAX-330100"), case("in_review"), department="TAX-330100")
    with pytest.raises(Forbidden):
        wf.check("review", staff("TAX-330100"), case("in_review"), department="SI-330100")
    with pytest.raises(Forbidden):
        wf.check(
            "review", staff("TAX-330100", ("window",)), case("in_review"), department="TAX-330100"
        )


def test_only_the_lead_department_completes():
    wf.check("complete", staff(duties=("head",)), case("approved"))
    with pytest.raises(Forbidden):
        wf.check("complete", staff("TAX-330100", ("head",)), case("approved"))
    with pytest.raises(Conflict):
        wf.check("complete", staff(duties=("head",)), case("in_review"))


def test_owner_only_withdraws_before_acceptance():
    wf.check("withdraw", OWNER, case())
    with pytest.raises(Conflict):
        wf.check("withdraw", OWNER, case("in_review"))
    with pytest.raises(Forbidden):
        wf.check("withdraw", STRANGER, case())
    with pytest.raises(Forbidden):
        wf.check("withdraw", staff(), case())


def test_rating_only_after_a_terminal_state():
    for status in ("completed", "rejected", "withdrawn"):
        wf.check("rate", OWNER, case(status))
    for status in ("submitted", "in_review", "needs_supplement", "approved"):
        with pytest.raises(Conflict):
            wf.check("rate", OWNER, case(status))


def test_supplement_only_while_needs_supplement_and_only_by_the_owner():
    wf.check("supplement", OWNER, case("needs_supplement"))
    with pytest.raises(Conflict):
        wf.check("supplement", OWNER, case("in_review"))
    with pytest.raises(Forbidden):
        wf.check("supplement", staff(), case("needs_supplement"))


def test_request_supplement_by_an_involved_department_only():
    wf.check("request_supplement", staff("SI-330100"), case("in_review"))
    with pytest.raises(Forbidden):
        wf.check("request_supplement", staff("EDU-330100"), case("in_review"))


def test_visits_by_involved_staff_including_the_regions_window():
    wf.check("record_visit", staff("TAX-330100", ("window",)), case("in_review"))
    wf.check("record_visit", staff("PSB-330100", ("window",)), case("completed"))
    with pytest.raises(Forbidden):
        wf.check("record_visit", staff("EDU-330100"), case("in_review"))
    with pytest.raises(Conflict):
        wf.check("record_visit", staff(), case("withdrawn"))


def test_all_approve_approves_any_reject_rejects_otherwise_undecided():
    reviews = wf.open_reviews(["A", "B", "A"])
    assert [r["department"] for r in reviews] == ["A", "B"]
    assert wf.review_outcome(reviews) is None
    reviews[0]["status"] = "approved"
    assert wf.review_outcome(reviews) is None
    reviews[1]["status"] = "approved"
    assert wf.review_outcome(reviews) == "approved"
    reviews[0]["status"] = "rejected"
    assert wf.review_outcome(reviews) == "rejected"


def test_clock_effects():
    assert wf.clock_effect("accept", "in_review") == "start"
    assert wf.clock_effect("request_supplement", "needs_supplement") == "pause"
    assert wf.clock_effect("supplement", "in_review") == "resume"
    assert wf.clock_effect("complete", "completed") == "stop"
    assert wf.clock_effect("review", "rejected") == "stop"
    assert wf.clock_effect("review", "approved") is None
    assert wf.clock_effect("review", "in_review") is None


def test_overdue_is_computed_from_due_at_pause_and_completion():
    due = T0 + timedelta(days=1)
    assert not wf.overdue(case(), T0 + timedelta(days=9))  # no clock yet
    running = case("in_review", due_at=due)
    assert not wf.overdue(running, due)
    assert wf.overdue(running, due + timedelta(seconds=1))
    paused = case("needs_supplement", due_at=due, clock_paused_at=T0)
    assert not wf.overdue(paused, due + timedelta(days=5))
    assert wf.overdue(case("needs_supplement", due_at=due, clock_paused_at=due + timedelta(1)), due)
    assert not wf.overdue(case("completed", due_at=due, completed_at=due), due + timedelta(9))
    late = case("completed", due_at=due, completed_at=due + timedelta(hours=1))
    assert wf.overdue(late, due)


def test_inbox_keys_follow_the_state():
    submitted = case()
    assert wf.inbox_keys(submitted) == [
        "accept:dept:AMR-330100",
        "accept:window:330000",
        "accept:window:330100",
    ]
    reviewing = case("in_review")
    reviewing["reviews"][0]["status"] = "approved"
    assert wf.inbox_keys(reviewing) == ["review:TAX-330100", "review:SI-330100"]
    assert wf.inbox_keys(case("needs_supplement")) == []
    window = staff("PSB-330100", ("window",))
    assert set(wf.acceptance_keys(window)) & set(wf.inbox_keys(submitted))
    assert not set(wf.acceptance_keys(staff("PSB-330100"))) & set(wf.inbox_keys(submitted))


def test_read_access():
    doc = case()
    assert wf.may_read(OWNER, doc)
    assert not wf.may_read(STRANGER, doc)
    assert wf.may_read(staff("SI-330100"), doc)
    assert not wf.may_read(staff("EDU-330100"), doc)
    assert wf.may_read(staff("PSB-330100", ("window",)), doc)
    assert wf.may_read(SUPERVISOR, doc)
    assert not wf.may_read(Principal(id="e" * 24, role="supervisor", region="330200"), doc)
    assert not wf.may_read(Principal(id="f" * 24, role="admin"), doc)
