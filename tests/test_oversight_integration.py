"""Oversight over the real case services: the events their transitions raise, the people the
worker tells, and KPI counters rebuilt from the documents == the counters they recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from app import clock
from app.platform.worker import Worker
from tests.applications.world import build_world
from tests.complaint_helpers import (
    AMR,
    HOTLINE,
    MEDIATION,
    MONDAY,
    act,
    dispute_body,
    ok,
    setup,
)
from tests.complaint_helpers import file as file_complaint


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 60 * 86400}  # the scenario moves the clock on by days


def _flat(m, prefix=""):
    out = {}
    for key, value in (m or {}).items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif abs(value) > 1e-9:
            out[prefix + key] = pytest.approx(value, abs=1e-6)
    return out


def _rate(api, path, score):
    response = api.post(path, json={"score": score})
    assert response.status_code in (200, 201), response.get_json()


@pytest.fixture
def mixed_scenario(app, db, users):
    """Applications completed (online, with visits, late), rejected, rated well and badly;
    complaints resolved, reopened and re-resolved, repeated, rated; a settled dispute."""
    setup(app, today=MONDAY)
    world = build_world(app, db, users)
    cast = {
        "resident": users.resident(),
        "hotline": users.staff(HOTLINE, ("window",), kind="hotline"),
        "amr": users.staff(AMR, ("reviewer",)),
        "mediator": users.staff(MEDIATION, ("reviewer",), kind="mediation"),
        "amr_head": world.staff["amr_head"],
    }
    # Applications.
    online = world.submit()
    world.accept(online)
    clock.advance(timedelta(hours=3))
    online = world.approve_all(online)
    world.ok("amr_window", online, "complete")
    _rate(world.applicant, f"/api/v1/applications/{online['id']}/rating", 1)
    visited = world.submit()
    world.accept(visited)
    world.ok("amr_window", visited, "visits", {"purpose": "Original documents"})
    world.ok("amr_window", visited, "visits", {"purpose": "Signature"})
    clock.advance(timedelta(days=3))  # past its one working day
    visited = world.approve_all(visited)
    world.ok("amr_window", visited, "complete")
    _rate(world.applicant, f"/api/v1/applications/{visited['id']}/rating", 5)
    refused = world.submit()
    world.ok("amr_window", refused, "reject", {"reason": "Wrong item"})
    # Complaints.
    resident, hotline, amr, mediator = (cast[k] for k in ("resident", "hotline", "amr", "mediator"))
    noisy = file_complaint(resident)
    ok(act(hotline, noisy, "assign", {"department": AMR}))
    clock.advance(timedelta(hours=5))
    ok(act(amr, noisy, "resolve", {"resolution": "Warned the site."}))
    clock.advance(timedelta(days=1))
    ok(act(resident, noisy, "reopen", {"reason": "It started again."}))
    clock.advance(timedelta(hours=2))
    ok(act(amr, noisy, "resolve", {"resolution": "Permit revoked."}))
    _rate(resident, f"/api/v1/complaints/{noisy['id']}/rating", 2)
    again = file_complaint(resident)  # same place, same category: a repeat
    dispute = ok(resident.post("/api/v1/complaints", json=dispute_body()), 201)
    ok(act(hotline, dispute, "assign", {"mediation_org": MEDIATION}))
    ok(act(mediator, dispute, "take"))
    clock.advance(timedelta(hours=4))
    ok(
        act(
            mediator,
            dispute,
            "resolve",
            {"resolution": "Agreed.", "outcome": "settled", "agreement": "Repairs by Friday."},
        )
    )
    return {
        "world": world,
        "cast": cast,
        "ids": {
            "online": online["id"],
            "visited": visited["id"],
            "noisy": noisy["id"],
            "again": again["id"],
        },
    }


def test_transitions_raise_their_events_once_and_heads_hear_of_bad_ratings(app, db, mixed_scenario):
    ids = mixed_scenario["ids"]
    events = {
        (e["type"], e["subject"]["id"])
        for e in db.supervision_events.find({}, {"type": 1, "subject": 1})
    }
    assert ("bad_rating", ids["online"]) in events
    assert ("extra_visit", ids["visited"]) in events
    assert ("complaint_reopened", ids["noisy"]) in events
    assert ("bad_rating", ids["noisy"]) in events
    assert ("repeat_complaint", ids["again"]) in events
    assert db.supervision_events.count_documents({"type": "extra_visit"}) == 1

    Worker(app).run_once()
    Worker(app).run_once()
    head = mixed_scenario["cast"]["amr_head"]
    kinds = [n["kind"] for n in db.notifications.find({"user_id": ObjectId(head.id)})]
    assert kinds.count("bad_rating") == 2  # the application's and the complaint's


def test_rebuilt_counters_equal_what_the_transitions_recorded(app, db, mixed_scenario):
    recorded = {d["_id"]: _flat(d["m"]) for d in db.kpi_daily.find()}
    assert any("complaints_reopened" in m for m in recorded.values())
    result = app.test_cli_runner().invoke(args=["kpi", "rebuild"])
    assert result.exit_code == 0, result.output
    rebuilt = {d["_id"]: _flat(d["m"]) for d in db.kpi_daily.find()}
    recorded = {k: v for k, v in recorded.items() if v}
    assert rebuilt == recorded


def test_an_overdue_application_is_swept_once_with_the_real_clock_fields(app, db, users):
    setup(app, today=MONDAY)
    world = build_world(app, db, users)
    head = world.staff["amr_head"]
    late = world.submit()
    world.accept(late)
    stored = world.stored(late)
    assert stored["warn_at"] is not None and stored["overdue_at"] == stored["due_at"]
    clock.advance(timedelta(days=3))
    Worker(app).run_once()
    Worker(app).run_once()
    types = sorted(e["type"] for e in db.supervision_events.find({"subject.id": late["id"]}))
    assert types == ["application_overdue", "sla_warning"]
    stored = world.stored(late)
    assert stored["warn_at"] is None and stored["overdue_at"] is None
    kinds = [n["kind"] for n in db.notifications.find({"user_id": ObjectId(head.id)})]
    assert kinds.count("application_overdue") == 1 and kinds.count("sla_warning") == 1
