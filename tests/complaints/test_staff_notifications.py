"""The complaint side of staff work notifications (issue 18): a department's staff are told
when a complaint reaches its inbox — filed with the hotline, assigned, sent back to the
hotline by a refusal, reopened — and nobody else."""

from __future__ import annotations

from datetime import timedelta

from bson import ObjectId

from app import clock
from app.platform.worker import Worker
from tests.complaint_helpers import AMR, MEDIATION, act, dispute_body, file, ok

INTERVAL = timedelta(seconds=300)


def bodies(db, api) -> list[str]:
    query = {"user_id": ObjectId(api.id), "kind": "staff_work"}
    return [n["body"] for n in db.notifications.find(query).sort("_id", 1)]


def worker_pass(app) -> None:
    Worker(app).run_once(force_housekeeping=False)


def test_each_department_is_told_when_a_complaint_reaches_it(app, world, db, users):
    resident, hotline, amr, tax = world["resident"], world["hotline"], world["amr"], world["tax"]
    second_hotline = users.staff("HOTLINE-330100", ("window",), kind="hotline")
    created = file(resident)
    worker_pass(app)
    one = ["部门收到投诉 1 件。"]
    assert bodies(db, hotline) == one and bodies(db, second_hotline) == one
    for who in (amr, tax, world["mediator"], resident, world["supervisor"]):
        assert bodies(db, who) == []

    ok(act(hotline, created, "assign", {"department": "TAX-330100"}))
    worker_pass(app)
    assert bodies(db, tax) == one
    assert bodies(db, amr) == []

    ok(act(tax, created, "refuse", {"reason": "Noise is not a tax matter."}))
    clock.advance(INTERVAL)
    worker_pass(app)
    assert bodies(db, hotline) == one * 2  # back in the hotline's queue
    assert bodies(db, tax) == one  # who refused it is not told

    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Warned the site."}))
    worker_pass(app)
    assert bodies(db, amr) == one
    clock.advance(timedelta(days=2))
    ok(act(resident, created, "reopen", {"reason": "It started again."}))
    worker_pass(app)
    assert bodies(db, amr) == one * 2


def test_a_mediation_centre_is_told_of_a_dispute_routed_to_it(app, world, db):
    response = world["resident"].post("/api/v1/complaints", json=dispute_body())
    assert response.status_code == 201
    ok(act(world["hotline"], response.get_json(), "assign", {"mediation_org": MEDIATION}))
    worker_pass(app)
    assert bodies(db, world["mediator"]) == ["部门收到投诉 1 件。"]
    assert bodies(db, world["amr"]) == []


def test_complaints_turned_off_are_not_told(app, world, db):
    amr = world["amr"]
    off = {"staff_notifications": {"complaint": False}}
    assert amr.patch("/api/v1/me", json=off).status_code == 200
    created = file(world["resident"])
    ok(act(world["hotline"], created, "assign", {"department": AMR}))
    worker_pass(app)
    assert bodies(db, amr) == []
    assert db.work_digests.find_one({"_id": ObjectId(amr.id)}) is None
