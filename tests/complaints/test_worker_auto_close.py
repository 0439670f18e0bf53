"""The background worker closes unconfirmed resolutions on its own, each pass."""

from datetime import timedelta

from bson import ObjectId

from app import clock
from app.messaging.push import LoggingProvider
from app.platform.worker import Worker
from tests.complaint_helpers import AMR, act, file, ok


def test_worker_pass_auto_closes_after_the_period(world, app, db):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    ok(act(amr, created, "resolve", {"resolution": "Fixed the streetlight."}))
    worker = Worker(app, provider=LoggingProvider())
    assert worker.run_once().auto_close["closed"] == 0
    clock.freeze(
        clock.now() + timedelta(days=app.extensions["settings"].rules.auto_close_days, minutes=1)
    )
    assert worker.run_once().auto_close["closed"] == 1
    stored = db.complaints.find_one({"_id": ObjectId(created["id"])})
    assert stored["status"] == "closed" and stored["close_reason"] == "auto"
