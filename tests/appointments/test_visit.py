"""The visit itself: check-in records it on the application, a no-show goes on the person's
record, the KPI counters move, the reminder comes the day before, and the day list."""

from datetime import timedelta

from bson import ObjectId

from app import clock
from app.messaging.push import LoggingProvider
from app.platform.worker import Worker
from tests.appointments.conftest import cst
from tests.conftest import assert_envelope

APPTS = "/api/v1/appointments"


def book(world, start, **extra):
    response = world.applicant.post(
        APPTS, json={"department": "AMR-330100", "start": start, "purpose": "sign", **extra}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_check_in_records_the_visit_on_the_application_and_counts_as_kept(world, db):
    case = world.submit()
    booked = book(world, cst(9, 30, 9), application_id=case["id"])
    window = world.staff["amr_window"]
    response = window.post(f"{APPTS}/{booked['id']}/check-in")  # early: still served
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "checked_in"
    stored = world.stored(case)
    assert stored["visit_count"] == 1 and stored["version"] == 2
    assert stored["visits"][0]["appointment_id"] == ObjectId(booked["id"])
    assert stored["timeline"][-1]["action"] == "record_visit"
    assert world.kpi()["appointments_kept"] == 1
    # Checked in: the case is free for a new appointment, and a second check-in is 409.
    assert_envelope(window.post(f"{APPTS}/{booked['id']}/check-in"), 409)
    assert world.stored(case)["visit_count"] == 1


def test_the_max_visits_rule_sees_appointment_visits(world, db):
    case = world.submit()  # the company set-up item allows 0 visits
    booked = book(world, cst(9, 30, 9), application_id=case["id"])
    world.staff["amr_window"].post(f"{APPTS}/{booked['id']}/check-in")
    assert db.supervision_events.count_documents({"type": "extra_visit"}) == 1


def test_check_in_after_the_slot_ended_is_refused(world):
    booked = book(world, cst(9, 30, 9))
    clock.freeze(clock.now() + timedelta(days=2))
    assert_envelope(world.staff["amr_window"].post(f"{APPTS}/{booked['id']}/check-in"), 409)


def test_a_no_show_only_once_started_then_on_the_record_and_in_the_kpis(world, db):
    booked = book(world, cst(9, 30, 9))
    window = world.staff["amr_window"]
    early = window.post(f"{APPTS}/{booked['id']}/no-show")
    assert "not started" in assert_envelope(early, 409)["message"]
    clock.freeze(clock.now() + timedelta(hours=47, minutes=5))  # 09:05 on the day
    response = window.post(f"{APPTS}/{booked['id']}/no-show")
    assert response.status_code == 200 and response.get_json()["status"] == "no_show"
    person = db.users.find_one({"_id": ObjectId(world.applicant.id)})
    assert person["no_show_count"] == 1
    assert world.kpi()["appointments_no_show"] == 1


def test_staff_of_another_department_cannot_receive_it(world, users):
    booked = book(world, cst(9, 30, 9))
    tax = world.staff["tax"]
    assert_envelope(tax.post(f"{APPTS}/{booked['id']}/check-in"), 404)


def test_the_reminder_comes_the_morning_before_once(world, app, db):
    book(world, cst(9, 30, 9))
    worker = Worker(app, provider=LoggingProvider())
    worker.run_once()
    assert db.notifications.count_documents({"kind": "appointment.reminder"}) == 0
    clock.freeze(clock.now() + timedelta(hours=23))  # Tuesday 09:00 China time
    assert worker.run_once().reminders["sent"] == 1
    worker.run_once()
    reminders = list(db.notifications.find({"kind": "appointment.reminder"}))
    assert len(reminders) == 1
    assert reminders[0]["user_id"] == ObjectId(world.applicant.id)
    assert "09:00" in reminders[0]["body"]


def test_a_cancelled_appointment_gets_no_reminder(world, app, db):
    booked = book(world, cst(9, 30, 9))
    world.applicant.post(f"{APPTS}/{booked['id']}/cancel")
    clock.freeze(clock.now() + timedelta(hours=23))
    Worker(app, provider=LoggingProvider()).run_once()
    assert db.notifications.count_documents({"kind": "appointment.reminder"}) == 0


def test_the_staff_day_list_is_the_departments_day_in_order(world, users):
    later = book(world, cst(9, 30, 10))
    first = book(world, cst(9, 30, 9))
    book(world, cst(10, 8, 9))
    listing = world.staff["amr_window"].get(
        "/api/v1/staff/appointments", query_string={"date": "2026-09-30"}
    )
    assert listing.status_code == 200, listing.get_json()
    assert [item["id"] for item in listing.get_json()["items"]] == [first["id"], later["id"]]
    other = world.staff["tax"].get(
        "/api/v1/staff/appointments", query_string={"date": "2026-09-30"}
    )
    assert other.get_json()["items"] == []
    assert_envelope(world.applicant.get("/api/v1/staff/appointments"), 403)


def test_kpi_rebuild_agrees_with_the_appointment_counters(world, app, db):
    from app.oversight import kpi_rebuild

    kept = book(world, cst(9, 30, 9))
    missed = book(world, cst(9, 30, 10))
    window = world.staff["amr_window"]
    window.post(f"{APPTS}/{kept['id']}/check-in")
    clock.freeze(clock.now() + timedelta(hours=48, minutes=30))
    window.post(f"{APPTS}/{missed['id']}/no-show")
    recorded = world.kpi()
    with app.app_context():
        kpi_rebuild.rebuild()
    rebuilt = world.kpi()
    assert recorded["appointments_kept"] == rebuilt["appointments_kept"] == 1
    assert recorded["appointments_no_show"] == rebuilt["appointments_no_show"] == 1


def test_the_no_show_rate_is_in_the_department_kpis(world, users):
    kept = book(world, cst(9, 30, 9))
    missed = book(world, cst(9, 30, 10))
    window = world.staff["amr_window"]
    window.post(f"{APPTS}/{kept['id']}/check-in")
    clock.freeze(clock.now() + timedelta(hours=48, minutes=30))
    window.post(f"{APPTS}/{missed['id']}/no-show")
    supervisor = users.supervisor("330100")
    overview = supervisor.get(
        "/api/v1/stats/overview", query_string={"department": "AMR-330100"}
    ).get_json()
    assert overview["appointments_kept"] == 1 and overview["appointments_no_show"] == 1
    assert overview["no_show_rate"] == 0.5


def test_a_stale_if_match_is_412_and_changes_nothing(world, db):
    booked = book(world, cst(9, 30, 9))
    window = world.staff["amr_window"]
    stale = window.post(f"{APPTS}/{booked['id']}/check-in", headers={"If-Match": '"v7"'})
    assert_envelope(stale, 412)
    stored = db.appointments.find_one({"_id": ObjectId(booked["id"])})
    assert stored["status"] == "booked" and stored["version"] == 1
    fresh = window.post(f"{APPTS}/{booked['id']}/check-in", headers={"If-Match": '"v1"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"v2"'


def test_every_transition_is_on_the_timeline_and_in_the_audit_log(world, db):
    booked = book(world, cst(9, 30, 9))
    world.staff["amr_window"].post(f"{APPTS}/{booked['id']}/check-in")
    stored = db.appointments.find_one({"_id": ObjectId(booked["id"])})
    assert [e["action"] for e in stored["timeline"]] == ["book", "check_in"]
    actions = {e["action"] for e in db.audit.find({"subject.id": booked["id"]})}
    assert {"appointment.submit", "appointment.check_in"} <= actions
