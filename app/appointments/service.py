"""Appointments (the one visit, planned): departments' opening hours on the official
working-day calendar, slots with capacity, booking under the rules of `DomainRules`, and the
case's transitions (cancel, check-in, no-show; rules in `app.appointments.rules`) fired
through the case engine. Side effects travel in the appointment's own write: a cancelled
place goes back to its slot, a check-in records the visit on the application, a no-show goes
on the person's record, the KPI counters move, the reminder the day before is a notification.

A booking is two writes in a fixed order: first the slot's counter (one conditional `$inc`,
the write that decides a race for the last place), then the appointment case. When the case
cannot be filed (one active appointment per person per case: a unique index) the place is
given back at once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError

from app import audit, clock, outbox, privacy, store
from app.accounts import repository as users_repo
from app.accounts.auth import Principal
from app.applications import repository as applications_repo
from app.applications import rules as application_rules
from app.applications import service as applications
from app.appointments import repository as repo
from app.appointments import rules
from app.cases import calendar, engine, workflow
from app.cases.workcalendar import CHINA_TZ
from app.catalogue import departments_repository as departments_repo
from app.catalogue.regions import ancestors
from app.complaints import repository as complaints_repo
from app.complaints import rules as complaint_rules
from app.http import idempotency
from app.http.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.messaging.notify import notification
from app.oversight import kpi
from app.pagination import Page

CASE_KIND = "appointment"
MAX_RANGE_DAYS = 31


def _rules():
    return current_app.extensions["settings"].rules


def _department(code: str) -> dict[str, Any]:
    department = departments_repo.get(code)
    if department is None:
        raise NotFound("No such department.")
    return department


# ------------------------------------------------------------------ opening hours and slots


def opening_hours_view(department: str, doc: Mapping[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        return {"department": department, "slot_minutes": None, "capacity": None, "hours": {}}
    return {"department": department, **{k: v for k, v in doc.items() if k != "_id"}}


def get_opening_hours(code: str) -> dict[str, Any]:
    _department(code)
    return opening_hours_view(code, repo.opening_hours(code))


def set_opening_hours(code: str, data: dict[str, Any], actor: Principal) -> dict[str, Any]:
    """Replace a department's weekly pattern (admin); existing bookings keep their places."""
    _department(code)
    try:
        rules.parse_hours(data["hours"])
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"hours": [str(exc)]}) from exc
    before = repo.opening_hours(code)
    fields = {
        "slot_minutes": data["slot_minutes"],
        "capacity": data["capacity"],
        "hours": {day: list(data["hours"][day]) for day in rules.DAYS if day in data["hours"]},
        "updated_at": clock.now(),
        "updated_by": actor.id,
    }
    entry = audit.entry(
        "opening_hours.replace",
        "department",
        code,
        before=before and {k: before[k] for k in ("slot_minutes", "capacity", "hours")},
        after={k: fields[k] for k in ("slot_minutes", "capacity", "hours")},
    )
    repo.replace_opening_hours(code, fields, [entry])
    return get_opening_hours(code)


def slots(code: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    """The department's slots starting in [START, END) (default: the coming booking horizon),
    each with its capacity and the places still free."""
    _department(code)
    now = clock.now()
    start = start or now
    end = end or start + timedelta(days=7)
    if end <= start:
        raise ValidationFailed("`to` must be after `from`.", errors={"to": ["Before `from`."]})
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time.",
            errors={"to": [f"At most {MAX_RANGE_DAYS} days after `from`."]},
        )
    doc = repo.opening_hours(code)
    if doc is None:
        return {"items": [], "next_cursor": None}
    opening = rules.opening_from(doc)
    found = rules.slots_between(opening, calendar.work_calendar().is_working_day, start, end)
    booked = repo.booked_counts(code, start, end)
    items = [
        {
            "start": s,
            "end": e,
            "capacity": opening.capacity,
            "available": max(0, opening.capacity - booked.get(rules.slot_id(code, s), 0)),
        }
        for s, e in found
    ]
    return {"items": items, "next_cursor": None}


# ------------------------------------------------------------------ booking


def _booking_errors(
    start: datetime, opening: rules.OpeningHours | None, now: datetime
) -> tuple[dict[str, list[str]], datetime | None]:
    """What is wrong with booking START (field -> messages), and the slot's end."""
    if opening is None:
        return {"department": ["This department takes no appointments."]}, None
    cal = calendar.work_calendar()
    settings = _rules()
    local_day = start.astimezone(CHINA_TZ).date()
    if not cal.is_working_day(local_day):
        return {"start": ["The department is closed that day (not a working day)."]}, None
    end = next((e for s, e in rules.slots_on(opening, local_day) if s == start), None)
    if end is None:
        return {"start": ["Not the start of one of the department's slots."]}, None
    if start < now + timedelta(hours=settings.appointment_lead_hours):
        return {"start": [f"Book at least {settings.appointment_lead_hours} hours ahead."]}, end
    today = now.astimezone(CHINA_TZ).date()
    last = rules.horizon_day(today, settings.appointment_horizon_working_days, cal.is_working_day)
    if local_day > last:
        return {
            "start": [
                f"Book at most {settings.appointment_horizon_working_days} working days ahead "
                f"(until {last.isoformat()})."
            ]
        }, end
    return {}, end


def _case_link(user: Principal, data: Mapping[str, Any], department: str) -> dict[str, Any]:
    """The case the visit is for (the person's own application or complaint), or none."""
    if data.get("application_id") and data.get("complaint_id"):
        raise ValidationFailed(
            "Name one case: an application or a complaint.",
            errors={"complaint_id": ["Give application_id or complaint_id, not both."]},
        )
    if data.get("application_id"):
        case = applications_repo.get(data["application_id"])
        if case is None or not application_rules.is_owner(user, case):
            raise ValidationFailed(
                "Unknown application.",
                errors={"application_id": ["No such application of yours."]},
            )
        if department not in application_rules.involved_departments(case):
            raise ValidationFailed(
                "That department does not handle this application.",
                errors={"department": ["Not a department of the application."]},
            )
        return {"kind": "application", "id": case["_id"], "tracking_no": case["tracking_no"]}
    if data.get("complaint_id"):
        case = complaints_repo.get(data["complaint_id"])
        if case is None or not complaint_rules.is_owner(user, case):
            raise ValidationFailed(
                "Unknown complaint.", errors={"complaint_id": ["No such complaint of yours."]}
            )
        return {"kind": "complaint", "id": case["_id"], "tracking_no": case["tracking_no"]}
    return {}


def book(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Book a place in a slot: 422 for a time one may not book, 409 when the slot is full or
    the person already holds an active appointment for the case."""
    if user.role not in rules.OWNER_ROLES:
        raise Forbidden("Only residents and enterprises book appointments.")
    stamp = idempotency.current()
    if stamp is not None:
        # A retry after a crash between the place and the case: answer with the case, and
        # never take a second place for it.
        earlier = repo.by_idempotency_key(stamp.key)
        if earlier is not None:
            return idempotency.replay(earlier)
    department = departments_repo.get(data["department"])
    if department is None:
        raise ValidationFailed(
            "Unknown department.", errors={"department": ["No such department."]}
        )
    code, start, now = department["_id"], data["start"], clock.now()
    opening_doc = repo.opening_hours(code)
    opening = rules.opening_from(opening_doc) if opening_doc else None
    errors, end = _booking_errors(start, opening, now)
    link = _case_link(user, data, code)
    if errors:
        raise ValidationFailed("This time cannot be booked; see errors.", errors=errors)
    assert opening is not None and end is not None
    key = rules.active_key(user.oid, link.get("kind"), link.get("id"))
    if key is not None and repo.active_for(key) is not None:
        raise _one_active()
    slot = rules.slot_id(code, start)
    repo.ensure_slot(slot, code, start, end)

    def work(session: ClientSession) -> dict[str, Any]:
        # The place and the appointment commit together: a crash or a refusal between them
        # leaves neither, and of two bookings of the last place the second finds it taken.
        if not repo.take_place(slot, opening.capacity, session):
            raise Conflict("This slot is full; choose another.", errors={"start": ["Full."]})
        return _file(user, department, link, key, slot, start, end, data["purpose"], now, session)

    try:
        return store.in_transaction(work)
    except DuplicateKeyError:
        # The same request filed it meanwhile (answer with it), or another booking of the case.
        earlier = repo.by_idempotency_key(stamp.key) if stamp is not None else None
        if earlier is not None:
            return idempotency.replay(earlier)
        raise _one_active() from None


def _one_active() -> Conflict:
    return Conflict(
        "You already hold an active appointment for this case; cancel it first.",
        errors={"application_id": ["One active appointment per case."]},
    )


def _file(
    user: Principal,
    department: dict[str, Any],
    link: dict[str, Any],
    key: str | None,
    slot: str,
    start: datetime,
    end: datetime,
    purpose: str,
    now: datetime,
    session: ClientSession,
) -> dict[str, Any]:
    oid = ObjectId()
    doc = {
        "_id": oid,
        "owner_id": user.oid,
        "owner": {"id": user.id, "name": user.name, "role": user.role},
        "department": department["_id"],
        "region": department["region"],
        "region_path": ancestors(department["region"]),
        "slot_id": slot,
        "start": start,
        "end": end,
        "purpose": purpose,
        "case": link or None,
        # One active appointment per person per case: while booked the key names the person
        # and the case; afterwards (and without a case) the appointment's own id.
        "active_key": key or str(oid),
        "status": rules.BOOKED,
        "version": 1,
        "booked_at": now,
        "remind_at": rules.remind_at(start, now, _rules().appointment_reminder_hour),
        "timeline": [workflow.timeline_entry(user, "book", None, rules.BOOKED, purpose, at=now)],
        "created_at": now,
        "updated_at": now,
    }
    doc["timeline"][0].update(idempotency.stamp_fields())
    return engine.create(
        CASE_KIND,
        doc,
        audit_after={"status": rules.BOOKED, "version": 1},
        audit_detail={"department": department["_id"], "start": clock.iso(start)},
        session=session,
    )


# ------------------------------------------------------------------ reading


def get(user: Principal, appointment_id: str) -> dict[str, Any]:
    return engine.load(CASE_KIND, appointment_id, user)


def list_own(user: Principal, limit: int, cursor: str | None) -> Page:
    return repo.page_for_owner(user.oid, limit, cursor)


def day_list(user: Principal, day: Any, limit: int, cursor: str | None) -> Page:
    """The staff member's department's appointments of one China-local day, by start."""
    if not user.department:
        raise Forbidden("Your account has no department.")
    day = day or clock.now().astimezone(CHINA_TZ).date()
    start, end = rules.local_day_bounds(day)
    return repo.page_for_day(user.department, start, end, limit, cursor)


def present(doc: dict[str, Any]) -> dict[str, Any]:
    """The API view: people masked by the one policy (app/privacy.py)."""
    return privacy.people_in(dict(doc))


# ------------------------------------------------------------------ transitions


def _check(
    action: str, actor: Principal | None, doc: Mapping[str, Any], context: Mapping[str, Any]
) -> workflow.Transition:
    return rules.check(action, actor, doc, context)


APPOINTMENT = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection="appointments",
        machine=rules.MACHINE,
        check=_check,
        visible=rules.visible,
    )
)


def _fire(
    user: Principal,
    appointment_id: str,
    action: str,
    expected_version: int | None,
    change: engine.Change,
) -> dict[str, Any]:
    return engine.fire(
        CASE_KIND,
        appointment_id,
        action,
        user,
        change=lambda _doc: change,
        expected_version=expected_version,
        context={
            "now": clock.now(),
            "cancel_cutoff_hours": _rules().appointment_cancel_cutoff_hours,
        },
    )


def _closed(doc_id: Any) -> dict[str, Any]:
    """What every final transition writes: the active key freed, no reminder left."""
    return {"active_key": str(doc_id), "remind_at": None}


def cancel(user: Principal, appointment_id: str, expected_version: int | None) -> dict[str, Any]:
    doc = get(user, appointment_id)
    change = engine.Change(
        set={**_closed(doc["_id"]), "cancelled_at": clock.now()},
        effects=lambda after: [outbox.entry("appointment_release", slot_id=after["slot_id"])],
    )
    return _fire(user, appointment_id, "cancel", expected_version, change)


def check_in(user: Principal, appointment_id: str, expected_version: int | None) -> dict[str, Any]:
    doc = get(user, appointment_id)
    now = clock.now()

    def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
        entries = kpi.increment(after["department"], after["region"], now, appointments_kept=1)
        case = after.get("case") or {}
        if case.get("kind") == "application":
            entries.append(
                outbox.entry(
                    "appointment_visit",
                    application_id=case["id"],
                    appointment_id=after["_id"],
                    visit={
                        "at": now,
                        "purpose": after["purpose"],
                        "staff": {"id": user.id, "name": user.name, "department": user.department},
                        "appointment_id": after["_id"],
                    },
                )
            )
        return entries

    change = engine.Change(
        set={
            **_closed(doc["_id"]),
            "checked_in_at": now,
            "checked_in_by": {"id": user.id, "name": user.name, "department": user.department},
        },
        effects=effects,
    )
    return _fire(user, appointment_id, "check_in", expected_version, change)


def no_show(user: Principal, appointment_id: str, expected_version: int | None) -> dict[str, Any]:
    doc = get(user, appointment_id)
    now = clock.now()

    def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            *kpi.increment(after["department"], after["region"], now, appointments_no_show=1),
            outbox.entry(
                "appointment_no_show", user_id=after["owner_id"], appointment_id=after["_id"]
            ),
        ]

    change = engine.Change(set={**_closed(doc["_id"]), "no_show_at": now}, effects=effects)
    return _fire(user, appointment_id, "no_show", expected_version, change)


# ------------------------------------------------------------------ the worker's reminders


def send_reminders(now: datetime, limit: int) -> dict[str, int]:
    """Tell each person the day before their appointment (once: CAS on remind_at)."""
    due = repo.reminders_due(now, limit)
    sent = 0
    for doc in due:
        local = doc["start"].astimezone(CHINA_TZ)
        department = departments_repo.get(doc["department"]) or {"name": doc["department"]}
        name = department.get("name")
        if isinstance(name, dict):
            name = name.get("zh-CN") or next(iter(name.values()), doc["department"])
        entry = notification(
            doc["owner_id"],
            "appointment.reminder",
            "Appointment tomorrow",
            f"Your appointment at {name} is on {local:%Y-%m-%d} at {local:%H:%M} "
            "(China Standard Time).",
            subject={"kind": CASE_KIND, "id": str(doc["_id"])},
        )
        if repo.mark_reminded(doc["_id"], doc["remind_at"], now, [entry]):
            sent += 1
    return {"sent": sent, "full": int(len(due) >= limit)}


# ------------------------------------------------------------------ outbox appliers


@outbox.applier("appointment_release")
def _apply_release(pending: list[outbox.Pending], session: ClientSession) -> None:
    repo.release_places([item.entry["slot_id"] for item in pending], session)


@outbox.applier("appointment_visit")
def _apply_visit(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        e = item.entry
        applications.record_appointment_visit(
            e["application_id"], e["appointment_id"], e["visit"], session
        )


@outbox.applier("appointment_no_show")
def _apply_no_show(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        users_repo.record_no_show(
            item.entry["user_id"], item.entry["appointment_id"], item.entry["queued_at"], session
        )
