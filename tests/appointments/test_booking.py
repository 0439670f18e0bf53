"""Booking a visit: the calendar's edge cases, the booking rules, the race for the last
place, one active appointment per case, cancellation and its cut-off."""

import threading
from datetime import timedelta

import pytest
from bson import ObjectId

from app import clock
from app.accounts.erasure import ERASED_NAME
from tests.appointments.conftest import cst
from tests.cases.test_unit_of_work import crash
from tests.conftest import assert_envelope, drain

APPTS = "/api/v1/appointments"
SLOTS = "/api/v1/departments/AMR-330100/slots"


def book(api, start, **extra):
    return api.post(
        APPTS, json={"department": "AMR-330100", "start": start, "purpose": "ID check", **extra}
    )


def test_slots_open_on_the_adjusted_working_saturday_and_not_on_the_holiday(world, anon):
    body = anon.get(SLOTS, query_string={"from": cst(9, 29, 0), "to": cst(10, 12, 0)}).get_json()
    days = sorted({item["start"][:10] for item in body["items"]})
    # Tue/Wed, then Oct 1-7 closed, Thu 8, Fri 9, and Saturday Oct 10 (adjusted working day);
    # the Sunday after is closed. (Dates in UTC: 09:00 China time is 01:00Z the same day.)
    assert days == ["2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"]
    first = body["items"][0]
    assert first == {
        "start": cst(9, 29, 9),
        "end": cst(9, 29, 9, 30),
        "capacity": 1,
        "available": 1,
    }


def test_booking_on_the_adjusted_saturday_succeeds_and_on_a_holiday_is_refused(world, db):
    saturday = book(world.applicant, cst(10, 10, 9))
    assert saturday.status_code == 201, saturday.get_json()
    body = saturday.get_json()
    assert body["status"] == "booked" and body["end"] == cst(10, 10, 9, 30)
    holiday = book(world.applicant, cst(10, 2, 9))
    assert "closed" in assert_envelope(holiday, 422)["errors"]["start"][0]
    assert db.appointments.count_documents({}) == 1


def test_lead_time_horizon_and_slot_boundaries_are_enforced(world, db):
    too_soon = book(world.applicant, cst(9, 29, 9, 30))  # 23.5 h ahead
    assert "24 hours" in assert_envelope(too_soon, 422)["errors"]["start"][0]
    too_far = book(world.applicant, cst(10, 12, 9))  # the 6th working day
    assert "5 working days" in assert_envelope(too_far, 422)["errors"]["start"][0]
    off_grid = book(world.applicant, cst(9, 30, 9, 10))
    assert "slots" in assert_envelope(off_grid, 422)["errors"]["start"][0]
    unknown = world.applicant.post(
        APPTS, json={"department": "NOPE", "start": cst(9, 30, 9), "purpose": "x"}
    )
    assert_envelope(unknown, 422)
    assert db.appointments.count_documents({}) == 0
    assert db.appointment_slots.count_documents({"booked": {"$gt": 0}}) == 0
    exactly_a_day = book(world.applicant, cst(9, 29, 10))
    assert exactly_a_day.status_code == 201


def test_two_residents_racing_for_the_last_place_one_gets_it_the_other_409(world, app, users, db):
    others = [users.resident(), users.resident()]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def race(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            APPTS,
            json={"department": "AMR-330100", "start": cst(9, 30, 9), "purpose": "x"},
            headers={"Authorization": f"Bearer {token}"},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=race, args=(o.token,)) for o in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 409]
    assert db.appointments.count_documents({}) == 1
    slot = db.appointment_slots.find_one({"_id": "AMR-330100|2026-09-30T01:00Z"})
    assert slot["booked"] == 1
    body = world.applicant.get(SLOTS, query_string={"from": cst(9, 30, 9), "to": cst(9, 30, 10)})
    assert body.get_json()["items"][0]["available"] == 0


def test_one_active_appointment_per_person_per_case(world, db):
    case = world.submit()
    first = book(world.applicant, cst(9, 30, 9), application_id=case["id"])
    assert first.status_code == 201, first.get_json()
    second = book(world.applicant, cst(9, 30, 10), application_id=case["id"])
    assert_envelope(second, 409)
    # The refused booking took no place.
    slot = db.appointment_slots.find_one({"_id": "AMR-330100|2026-09-30T02:00Z"})
    assert slot is None or slot["booked"] == 0
    cancelled = world.applicant.post(f"{APPTS}/{first.get_json()['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = book(world.applicant, cst(9, 30, 10), application_id=case["id"])
    assert again.status_code == 201, again.get_json()


def test_someone_elses_application_cannot_be_cited(world, users):
    case = world.submit()
    other = users.enterprise()
    response = book(other, cst(9, 30, 9), application_id=case["id"])
    assert "application_id" in assert_envelope(response, 422)["errors"]


def test_cancelling_gives_the_place_back_and_is_refused_after_the_cut_off(world, users, db):
    booked = book(world.applicant, cst(9, 30, 9)).get_json()
    response = world.applicant.post(f"{APPTS}/{booked['id']}/cancel")
    assert response.status_code == 200
    assert db.appointment_slots.find_one({"_id": "AMR-330100|2026-09-30T01:00Z"})["booked"] == 0
    other = users.resident()
    late = book(other, cst(9, 30, 9)).get_json()
    clock.freeze(clock.now() + timedelta(hours=46, minutes=30))  # 1.5 h before the start
    refused = other.post(f"{APPTS}/{late['id']}/cancel")
    assert "2 hours" in assert_envelope(refused, 409)["message"]
    stored = db.appointments.find_one({"_id": ObjectId(late["id"])})
    assert stored["status"] == "booked" and stored["version"] == 1


def test_only_the_owner_cancels_and_others_do_not_see_it(world, users):
    booked = book(world.applicant, cst(9, 30, 9)).get_json()
    other = users.resident()
    assert_envelope(other.get(f"{APPTS}/{booked['id']}"), 404)
    assert_envelope(other.post(f"{APPTS}/{booked['id']}/cancel"), 404)
    mine = world.applicant.get("/api/v1/me/appointments").get_json()
    assert [item["id"] for item in mine["items"]] == [booked["id"]]
    assert other.get("/api/v1/me/appointments").get_json()["items"] == []


def test_a_retried_booking_takes_one_place(world, db):
    headers = {"Idempotency-Key": "book-1"}
    body = {"department": "AMR-330100", "start": cst(9, 30, 9), "purpose": "x"}
    first = world.applicant.post(APPTS, json=body, headers=headers)
    again = world.applicant.post(APPTS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert db.appointment_slots.find_one({"_id": "AMR-330100|2026-09-30T01:00Z"})["booked"] == 1


def test_opening_hours_are_validated_and_admin_only(world, users):
    admin = users.admin()
    path = "/api/v1/admin/departments/AMR-330100/opening-hours"
    bad = admin.put(
        path, json={"slot_minutes": 30, "capacity": 1, "hours": {"mon": ["12:00-09:00"]}}
    )
    assert_envelope(bad, 422)
    unknown_day = admin.put(path, json={"slot_minutes": 30, "capacity": 1, "hours": {"xyz": []}})
    assert_envelope(unknown_day, 422)
    assert_envelope(
        world.applicant.put(path, json={"slot_minutes": 30, "capacity": 1, "hours": {}}), 403
    )
    missing = admin.put(
        "/api/v1/admin/departments/NOPE/opening-hours",
        json={"slot_minutes": 30, "capacity": 1, "hours": {}},
    )
    assert_envelope(missing, 404)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_booking_that_dies_at_its_appointment_takes_no_place_and_its_retry_takes_one(
    world, db, monkeypatch, when
):
    """The place and the appointment are one transaction: a death at the appointment's
    insert (before it, or after it inside the transaction) leaves the slot as it was."""
    with crash(monkeypatch, when):
        died = world.applicant.post(
            APPTS,
            json={"department": "AMR-330100", "start": cst(9, 30, 9), "purpose": "x"},
            headers={"Idempotency-Key": f"book-{when}"},
        )
    assert_envelope(died, 503)
    assert db.appointments.count_documents({}) == 0
    slot_id = "AMR-330100|2026-09-30T01:00Z"
    assert db.appointment_slots.find_one({"_id": slot_id})["booked"] == 0
    again = world.applicant.post(
        APPTS,
        json={"department": "AMR-330100", "start": cst(9, 30, 9), "purpose": "x"},
        headers={"Idempotency-Key": f"book-{when}"},
    )
    assert again.status_code == 201, again.get_json()
    assert db.appointment_slots.find_one({"_id": slot_id})["booked"] == 1
    assert db.appointments.count_documents({}) == 1


def test_a_closed_accounts_appointments_keep_the_visit_without_the_name(world, app, db):
    booked = book(world.applicant, cst(9, 30, 9)).get_json()
    name = world.applicant.user["name"]
    assert db.appointments.find_one({"_id": ObjectId(booked["id"])})["owner"]["name"] == name
    assert world.applicant.delete("/api/v1/me").status_code == 204
    drain(app)
    stored = db.appointments.find_one({"_id": ObjectId(booked["id"])})
    assert stored["owner"]["name"] == ERASED_NAME
    assert stored["timeline"][0]["actor"]["name"] == ERASED_NAME
    assert name not in str(stored)
    assert stored["start"] and stored["status"] == "booked"
