"""Demo appointments: every Hangzhou government department's window opens weekdays 09:00-12:00
and 13:30-17:00 (half-hour slots, three places each), and the demo resident holds a booking
at the PSB window for the HK/Macau permit in review, so the staff day list is not empty."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from app.accounts import repository as users_repo
from app.accounts.auth import Principal
from app.applications import repository as applications_repo
from app.catalogue import departments_repository as departments_repo
from app.http.errors import ValidationFailed

HOURS = {day: ["09:00-12:00", "13:30-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def seed_appointments() -> None:
    from app.appointments import repository as repo
    from app.appointments import service as appointments

    admin_doc = users_repo.find_by_phone("13900000000")
    resident_doc = users_repo.find_by_phone("13800000001")
    if admin_doc is None or resident_doc is None:
        raise RuntimeError("seed_appointments runs after seed_users")
    admin = Principal.from_document(admin_doc)
    for department in departments_repo.page("330100", "government", 100, None).items:
        if repo.opening_hours(department["_id"]) is None:
            appointments.set_opening_hours(
                department["_id"], {"slot_minutes": 30, "capacity": 3, "hours": HOURS}, admin
            )
    resident = Principal.from_document(resident_doc)
    if repo.page_for_owner(resident.oid, 1, None).items:
        return
    permit = next(
        (
            case
            for case in applications_repo.page_for_applicant(resident.oid, None, 20, None).items
            if case["matter"]["code"] == "ZJ-HKMO-PERMIT"
        ),
        None,
    )
    now = clock.now()
    for slot in appointments.slots("PSB-330100", now, now + timedelta(days=14))["items"]:
        try:
            appointments.book(
                resident,
                {
                    "department": "PSB-330100",
                    "start": slot["start"],
                    "application_id": permit["_id"] if permit else None,
                    "purpose": "Photo and fingerprints for the HK/Macau permit",
                },
            )
            return
        except ValidationFailed:
            continue  # inside the lead time: try the next slot
