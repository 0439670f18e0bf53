"""The worker's SLA sweeps: sla_warning / application_overdue / complaint_overdue raised once
and only once (also with two sweepers at once), with notifications to who must act."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock, i18n, outbox
from app.db import counting_commands
from app.oversight import event_notifications, sla_sweep
from app.oversight.events import event_entry
from app.platform.worker import Worker
from tests.conftest import drain
from tests.oversight_helpers import case

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
PAST = NOW - timedelta(minutes=5)


def _sweep(app, limit=100):
    """A sweep, the relay of the events it queued and their notifications: the worker's pass."""
    with app.app_context():
        report = sla_sweep.sweep(limit)
    drain(app)
    with app.app_context():
        event_notifications.notify_pending(limit)
    return report


def _inbox(db, user):
    return [n["kind"] for n in db.notifications.find({"user_id": ObjectId(user.id)})]


def test_a_warning_is_raised_once_and_the_department_staff_are_told(app, users, db):
    window = users.staff("AMR-330100", duties=("window",))
    head = users.staff("AMR-330100", duties=("reviewer", "head"))
    elsewhere = users.staff("TAX-330100", duties=("reviewer",))
    clock.freeze(NOW)
    app_case = case(app, warn_at=PAST, due_at=NOW + timedelta(hours=5))
    later = case(app, warn_at=NOW + timedelta(minutes=1))

    assert _sweep(app)["cleared"] == 1
    (ev,) = db.supervision_events.find()
    assert ev["type"] == "sla_warning" and ev["severity"] == "low"
    assert ev["subject"] == {
        "kind": "application",
        "id": str(app_case["_id"]),
        "tracking_no": app_case["tracking_no"],
    }
    assert ev["region_path"] == ["330000", "330100"] and ev["department"] == "AMR-330100"
    assert "80%" in ev["summary"]
    assert db.applications.find_one({"_id": app_case["_id"]})["warn_at"] is None
    assert db.applications.find_one({"_id": later["_id"]})["warn_at"] is not None
    assert _inbox(db, window) == ["sla_warning"] and _inbox(db, head) == ["sla_warning"]
    assert _inbox(db, elsewhere) == []

    # The clock came back (paused and resumed): the case is warned about only once.
    db.applications.update_one({"_id": app_case["_id"]}, {"$set": {"warn_at": PAST}})
    _sweep(app)
    assert db.supervision_events.count_documents({"type": "sla_warning"}) == 1
    assert db.applications.find_one({"_id": app_case["_id"]})["warn_at"] is None
    assert _inbox(db, window) == ["sla_warning"]


def test_overdue_cases_raise_their_event_once_and_tell_the_department_head(app, users, db):
    window = users.staff("AMR-330100", duties=("window",))
    head = users.staff("AMR-330100", duties=("head",))
    hotline_head = users.staff("HOTLINE-330100", duties=("head",), kind="hotline")
    clock.freeze(NOW)
    application = case(app, overdue_at=PAST)
    complaint = case(app, "complaint", department="HOTLINE-330100", overdue_at=PAST)

    _sweep(app)
    _sweep(app)
    events = {e["type"]: e for e in db.supervision_events.find()}
    assert set(events) == {"application_overdue", "complaint_overdue"}
    assert events["application_overdue"]["severity"] == "high"
    assert events["complaint_overdue"]["subject"]["id"] == str(complaint["_id"])
    assert db.applications.find_one({"_id": application["_id"]})["overdue_at"] is None
    assert db.complaints.find_one({"_id": complaint["_id"]})["overdue_at"] is None
    assert _inbox(db, head) == ["application_overdue"]
    assert _inbox(db, hotline_head) == ["complaint_overdue"]
    assert _inbox(db, window) == []


def test_a_dispute_warning_goes_to_its_mediator(app, users, db):
    assignee = users.staff("MED-330100", duties=("reviewer",), kind="mediation")
    colleague = users.staff("MED-330100", duties=("reviewer",), kind="mediation")
    clock.freeze(NOW)
    mediator = {"id": assignee.id, "name": "Mediator", "department": "MED-330100"}
    case(app, "complaint", department="MED-330100", warn_at=PAST, mediator=mediator)
    _sweep(app)
    assert _inbox(db, assignee) == ["sla_warning"]
    assert _inbox(db, colleague) == []


def test_an_event_raised_before_the_sweep_is_not_raised_twice(app, users, db):
    head = users.staff("AMR-330100", duties=("head",))
    clock.freeze(NOW)
    overdue = case(app, overdue_at=PAST)
    with app.app_context():  # the event is in, the clock still set (raised by someone else)
        outbox.apply_now(
            [
                event_entry(
                    "application_overdue",
                    subject_kind="application",
                    subject_id=overdue["_id"],
                    tracking_no=overdue["tracking_no"],
                    region="330100",
                    department="AMR-330100",
                    summary="overdue",
                )
            ]
        )
    with app.app_context():
        sla_sweep.sweep(100)
    drain(app)
    assert db.supervision_events.count_documents({}) == 1
    assert db.applications.find_one({"_id": overdue["_id"]})["overdue_at"] is None
    assert _inbox(db, head) == []  # nobody notified yet...
    Worker(app).run_once()  # ...the worker's notification step does, once
    Worker(app).run_once()
    assert _inbox(db, head) == ["application_overdue"]


def test_two_sweepers_at_once_raise_every_event_exactly_once(app, users, db):
    head = users.staff("AMR-330100", duties=("head",))
    clock.freeze(NOW)
    cases = []
    for i in range(12):
        kind = "application" if i % 2 else "complaint"
        cases.append((kind, case(app, kind, warn_at=PAST - timedelta(hours=1), overdue_at=PAST)))
    barrier = threading.Barrier(2)
    errors = []

    def sweeper():
        try:
            with app.app_context():
                barrier.wait()
                sla_sweep.sweep(100)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    drain(app)
    for kind, doc in cases:
        raised = sorted(
            e["type"] for e in db.supervision_events.find({"subject.id": str(doc["_id"])})
        )
        assert raised == sorted(["sla_warning", f"{kind}_overdue"])
    assert db.supervision_events.count_documents({}) == 24
    assert (
        db.applications.count_documents(
            {"$or": [{"warn_at": {"$ne": None}}, {"overdue_at": {"$ne": None}}]}
        )
        == 0
    )
    assert (
        db.complaints.count_documents(
            {"$or": [{"warn_at": {"$ne": None}}, {"overdue_at": {"$ne": None}}]}
        )
        == 0
    )
    # The head hears about each overdue case once (and about each warning once, as staff),
    # from the worker's notification step (two of them at once, too).
    notifiers = [threading.Thread(target=Worker(app).run_once) for _ in range(2)]
    for t in notifiers:
        t.start()
    for t in notifiers:
        t.join()
    inbox = _inbox(db, head)
    assert inbox.count("application_overdue") == 6 and inbox.count("complaint_overdue") == 6
    assert inbox.count("sla_warning") == 12


@pytest.mark.parametrize("settings_overrides", [{"worker_batch_size": 2}])
def test_sweeps_run_in_bounded_batches_from_the_worker(app, users, db):
    clock.freeze(NOW)
    for _ in range(3):
        case(app, overdue_at=PAST)
    worker = Worker(app)
    first = worker.run_once()
    assert first.sweep == {"cleared": 2, "full": 1} and first.busy
    second = worker.run_once()
    assert second.sweep == {"cleared": 1, "full": 0}
    assert db.supervision_events.count_documents({}) == 3


def test_the_worker_reads_times_that_have_come_as_bounded_index_ranges(app, users, db):
    """Every `t <= now` a worker's pass reads (SLA clocks, deferred materials, reminders,
    retries) is bounded below too: the embedded server walks an index from its first entry to
    the upper bound, every null included, so a bare `$lte` read every closed case."""
    clock.freeze(NOW)
    case(app, overdue_at=PAST)
    with counting_commands(keep_commands=True) as tally:
        Worker(app).run_once()
    ranges = [
        (command, field, bounds)
        for command in tally.sent or []
        if command["name"] == "find"
        for field, bounds in command["filter"].items()
        if isinstance(bounds, dict) and ("$lte" in bounds or "$lt" in bounds)
    ]
    swept = {(command["find"], field) for command, field, _ in ranges}
    assert {("applications", "overdue_at"), ("complaints", "warn_at")} <= swept
    assert {("appointments", "remind_at"), ("work_digests", "not_before")} <= swept
    for command, field, bounds in ranges:
        assert "$gte" in bounds, (command["find"], field, bounds)
        cursor = db[command["find"]].find(command["filter"])
        if command.get("sort"):
            cursor = cursor.sort(list(command["sort"].items()))
        plan = str(cursor.explain()["queryPlanner"])
        assert "COLLSCAN" not in plan, (command["find"], field)
    query = {"department": "AMR-330100", "role": "staff", "duties": "head"}
    assert "COLLSCAN" not in str(db.users.find(query).explain()["queryPlanner"])
    pending = db.supervision_events.find({"type": "bad_rating", "notified_at": None}).sort("_id", 1)
    assert "COLLSCAN" not in str(pending.explain()["queryPlanner"])


def test_events_raised_by_requests_are_notified_once_by_the_worker(app, users, db):
    head = users.staff("AMR-330100", duties=("head",))
    reviewer = users.staff("AMR-330100", duties=("reviewer",))
    clock.freeze(NOW)
    rated = case(app)
    with app.app_context():  # as the rating endpoint of issue 3 raises it
        for event_type in ("bad_rating", "public_report", "extra_visit"):
            outbox.apply_now(
                [
                    event_entry(
                        event_type,
                        subject_kind="application",
                        subject_id=rated["_id"],
                        tracking_no=rated["tracking_no"],
                        region="330100",
                        department="AMR-330100",
                        summary="rated 1/5",
                    )
                ]
            )
    barrier = threading.Barrier(2)

    def worker():
        barrier.wait()
        Worker(app).run_once()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _inbox(db, head) == ["bad_rating"]
    assert _inbox(db, reviewer) == []
    assert db.supervision_events.count_documents({"notified_at": None}) == 2  # not for heads
    (note,) = db.notifications.find({"user_id": ObjectId(head.id)})
    assert note["subject"] == {"kind": "application", "id": str(rated["_id"])}
    assert rated["tracking_no"] in i18n.render(note["title"], note.get("params"), "en")
