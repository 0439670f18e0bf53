"""Who may fire which complaint action, decided by app.complaints.rules.check alone: a pure
function of the principal and the complaint document, tested without a database."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.accounts.auth import Principal
from app.complaints import rules
from app.http.errors import Conflict, Forbidden

OWNER = Principal(id=str(ObjectId()), role="resident")
STRANGER = Principal(id=str(ObjectId()), role="resident")
HOTLINE = Principal(id=str(ObjectId()), role="staff", department="HOTLINE-330100")
HANDLER = Principal(id=str(ObjectId()), role="staff", department="AMR-330100")
MEDIATOR = Principal(id=str(ObjectId()), role="staff", department="MED-330100")
OTHER_MEDIATOR = Principal(id=str(ObjectId()), role="staff", department="MED-330100")
SUPERVISOR = Principal(id=str(ObjectId()), role="supervisor", region="330100")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
CONTEXT = {"now": NOW, "reopen_window": timedelta(days=15)}


def complaint(**fields):
    doc = {
        "status": "submitted",
        "complainant_id": OWNER.oid,
        "hotline": "HOTLINE-330100",
        "department": "HOTLINE-330100",
        "mediation_org": None,
        "mediator": None,
        "region_path": ["330000", "330100"],
        "rating": None,
        "resolved_at": None,
    }
    doc.update(fields)
    return doc


ASSIGNED = complaint(status="assigned", department="AMR-330100")
MEDIATING = complaint(status="assigned", department="MED-330100", mediation_org="MED-330100")
RESOLVED = complaint(status="resolved", department="AMR-330100", resolved_at=NOW)


def check(action, actor, doc, now=NOW):
    return rules.check(action, actor, doc, {**CONTEXT, "now": now})


def test_only_the_hotline_holding_the_complaint_routes_it():
    assert check("assign", HOTLINE, complaint()).target == "assigned"
    with pytest.raises(Forbidden):
        check("assign", HANDLER, complaint())
    with pytest.raises(Forbidden):
        check("assign", OWNER, complaint())


def test_only_the_assigned_department_replies_refuses_and_resolves():
    for action in ("reply", "refuse", "resolve"):
        check(action, HANDLER, ASSIGNED)
        with pytest.raises(Forbidden):
            check(action, HOTLINE, ASSIGNED)


def test_the_hotline_cannot_refuse_what_it_holds_itself():
    held = complaint(status="assigned", department="HOTLINE-330100")
    with pytest.raises(Conflict):
        check("refuse", HOTLINE, held)


def test_a_mediation_case_belongs_to_the_mediator_who_took_it():
    taken = {**MEDIATING, "mediator": {"id": MEDIATOR.id}}
    check("take", MEDIATOR, MEDIATING)
    check("record_session", MEDIATOR, taken)
    with pytest.raises(Conflict):
        check("take", OTHER_MEDIATOR, taken)
    with pytest.raises(Forbidden):
        check("record_session", OTHER_MEDIATOR, taken)
    with pytest.raises(Forbidden):
        check("resolve", OTHER_MEDIATOR, taken)
    with pytest.raises(Forbidden):
        check("take", HANDLER, ASSIGNED)  # not a mediation case


def test_the_complainant_confirms_reopens_and_rates_nobody_else():
    for action in ("confirm", "reopen", "rate"):
        check(action, OWNER, RESOLVED)
        with pytest.raises(Forbidden):
            check(action, STRANGER, RESOLVED)
        with pytest.raises(Forbidden):
            check(action, HANDLER, RESOLVED)


def test_reopening_is_possible_only_within_the_window():
    check("reopen", OWNER, RESOLVED, now=NOW + timedelta(days=15))
    with pytest.raises(Conflict):
        check("reopen", OWNER, RESOLVED, now=NOW + timedelta(days=15, seconds=1))


def test_a_complaint_is_rated_once():
    with pytest.raises(Conflict):
        check("rate", OWNER, {**RESOLVED, "rating": {"score": 5}})


def test_wrong_states_are_conflicts_and_the_system_only_auto_closes_resolutions():
    with pytest.raises(Conflict):
        check("resolve", HANDLER, RESOLVED)
    assert rules.check("auto_close", None, RESOLVED, CONTEXT).target == "closed"
    with pytest.raises(Conflict):
        rules.check("auto_close", None, ASSIGNED, CONTEXT)


def test_visibility_follows_the_relation_to_the_complaint():
    assert rules.visible(OWNER, ASSIGNED)
    assert rules.visible(HANDLER, ASSIGNED)
    assert rules.visible(HOTLINE, ASSIGNED)  # the hotline keeps seeing what it routed
    assert rules.visible(SUPERVISOR, ASSIGNED)
    assert not rules.visible(STRANGER, ASSIGNED)
    assert not rules.visible(MEDIATOR, ASSIGNED)


def test_disputes_resolve_with_an_outcome_and_a_referral_when_not_settled():
    assert rules.resolution_problems("dispute", {"outcome": "settled"}) is None
    assert rules.resolution_problems("dispute", {"outcome": "settled", "agreement": "x"}) is None
    assert "outcome" in rules.resolution_problems("dispute", {})
    assert "referral" in rules.resolution_problems("dispute", {"outcome": "not_settled"})
    assert "agreement" in rules.resolution_problems(
        "dispute", {"outcome": "not_settled", "referral": "court", "agreement": "x"}
    )
    assert "outcome" in rules.resolution_problems("complaint", {"outcome": "settled"})
