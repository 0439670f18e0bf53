"""Appointments at a department's window, readable in one place (pure: no database).

Opening hours are a weekly pattern (`{"mon": ["09:00-12:00", "13:30-17:00"], ...}`) in China
Standard Time, cut into slots of `slot_minutes`, each with `capacity` places; a day opens only
if the official working-day calendar says it is a working day: holidays are closed, and an
adjusted working Saturday or Sunday opens with weekday hours (`pattern_for`).

    booked --check_in--> checked_in
       |----no_show----> no_show
       \\----cancel-----> cancelled
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app.accounts.auth import Principal
from app.cases.workcalendar import CHINA_TZ
from app.cases.workflow import Machine, Transition
from app.http.errors import Conflict, Forbidden

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BOOKED, CHECKED_IN, NO_SHOW, CANCELLED = "booked", "checked_in", "no_show", "cancelled"
STATES = (BOOKED, CHECKED_IN, NO_SHOW, CANCELLED)
OWNER_ROLES = ("resident", "enterprise")
STAFF = ("staff",)
_RANGE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])$")

MACHINE = Machine(
    name="appointment",
    states=STATES,
    terminal=(CHECKED_IN, NO_SHOW, CANCELLED),
    transitions=(
        Transition(
            "cancel",
            (BOOKED,),
            CANCELLED,
            OWNER_ROLES,
            description="the person cancels, at least the cancellation cut-off before the "
            "start; the place goes back to the slot",
        ),
        Transition(
            "check_in",
            (BOOKED,),
            CHECKED_IN,
            STAFF,
            description="staff of the department receive the person (any time before the "
            "slot ends); the case's visit is recorded",
        ),
        Transition(
            "no_show",
            (BOOKED,),
            NO_SHOW,
            STAFF,
            description="staff of the department record that nobody came (once the slot has "
            "started); it goes on the person's record",
        ),
    ),
)


@dataclass(frozen=True)
class OpeningHours:
    """A department's weekly pattern: per weekday, sorted (start, end) local times."""

    slot_minutes: int
    capacity: int
    hours: Mapping[str, tuple[tuple[time, time], ...]]


def parse_hours(raw: Mapping[str, list[str]]) -> dict[str, tuple[tuple[time, time], ...]]:
    """The weekly pattern from its wire form; ValueError (field -> message) when malformed:
    an unknown day, a range that is not HH:MM-HH:MM with start before end, or ranges that
    overlap."""
    parsed: dict[str, tuple[tuple[time, time], ...]] = {}
    for day, ranges in raw.items():
        if day not in DAYS:
            raise ValueError(f"{day}: not one of {', '.join(DAYS)}")
        spans = []
        for text in ranges:
            match = _RANGE.match(text)
            if not match:
                raise ValueError(f"{day}: {text!r} is not like 09:00-12:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), time(h2, m2)
            if start >= end:
                raise ValueError(f"{day}: {text} ends before it starts")
            spans.append((start, end))
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValueError(f"{day}: ranges overlap")
        parsed[day] = tuple(spans)
    return parsed


def opening_from(doc: Mapping[str, Any]) -> OpeningHours:
    return OpeningHours(doc["slot_minutes"], doc["capacity"], parse_hours(doc["hours"]))


def pattern_for(opening: OpeningHours, day: date) -> tuple[tuple[time, time], ...]:
    """The ranges a working DAY opens with: its weekday's; an adjusted working weekend day
    (调休上班) takes the hours of the weekday it stands in for, which the notices do not name,
    so the first weekday of the pattern that has hours (normally Monday)."""
    name = DAYS[day.weekday()]
    if opening.hours.get(name):
        return opening.hours[name]
    if day.weekday() >= 5:
        for weekday in DAYS[:5]:
            if opening.hours.get(weekday):
                return opening.hours[weekday]
    return ()


def slots_on(opening: OpeningHours, day: date) -> list[tuple[datetime, datetime]]:
    """The slots of one working DAY as (start, end) in UTC; a slot never runs past its range."""
    step = timedelta(minutes=opening.slot_minutes)
    slots = []
    for start, end in pattern_for(opening, day):
        at = datetime.combine(day, start, tzinfo=CHINA_TZ)
        stop = datetime.combine(day, end, tzinfo=CHINA_TZ)
        while at + step <= stop:
            slots.append((at.astimezone(UTC), (at + step).astimezone(UTC)))
            at += step
    return slots


def slots_between(
    opening: OpeningHours,
    is_working_day: Callable[[date], bool],
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    """Every slot starting in [START, END) on a working day of the official calendar."""
    day = start.astimezone(CHINA_TZ).date()
    last = end.astimezone(CHINA_TZ).date()
    found: list[tuple[datetime, datetime]] = []
    while day <= last:
        if is_working_day(day):
            found += [s for s in slots_on(opening, day) if start <= s[0] < end]
        day += timedelta(days=1)
    return found


def horizon_day(today: date, working_days: int, is_working_day: Callable[[date], bool]) -> date:
    """The last local day one may book: the WORKING_DAYS-th working day after TODAY."""
    day, counted = today, 0
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def slot_id(department: str, start: datetime) -> str:
    return f"{department}|{start.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """A China-local calendar day as a UTC range [start, end)."""
    start = datetime.combine(day, time(), tzinfo=CHINA_TZ)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def remind_at(start: datetime, now: datetime, hour: int) -> datetime:
    """The reminder's time: HOUR o'clock China time on the day before START (at once when
    that has passed, as for a booking made the afternoon before)."""
    day_before = start.astimezone(CHINA_TZ).date() - timedelta(days=1)
    at = datetime.combine(day_before, time(hour), tzinfo=CHINA_TZ).astimezone(UTC)
    return max(at, now)


def active_key(owner_id: Any, case_kind: str | None, case_id: Any) -> str | None:
    """The key that makes one active appointment per person per case (unique index)."""
    if case_kind is None:
        return None
    return f"{owner_id}|{case_kind}|{case_id}"


# Who relates to an appointment how (pure: the document and the principal only).


def is_owner(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role in OWNER_ROLES and str(doc.get("owner_id")) == user.id


def is_department_staff(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role == "staff" and user.department == doc.get("department")


def visible(user: Principal, doc: Mapping[str, Any]) -> bool:
    if user.role == "supervisor":
        return user.region is not None and user.region in (doc.get("region_path") or [])
    return is_owner(user, doc) or is_department_staff(user, doc)


def check(
    action: str,
    actor: Principal | None,
    doc: Mapping[str, Any],
    context: Mapping[str, Any],
) -> Transition:
    """Every rule for ACTOR firing ACTION on the appointment DOC at context['now']: role,
    relation, state, and the time rules (cancellation cut-off, no-show only once the slot
    has started, check-in only before it ends)."""
    if actor is None:
        raise Forbidden("Appointments have no system transitions.")
    transition = MACHINE.check(action, doc["status"], actor)
    now: datetime = context["now"]
    if action == "cancel":
        if not is_owner(actor, doc):
            raise Forbidden("Only the person who booked may cancel.")
        cutoff = doc["start"] - timedelta(hours=context["cancel_cutoff_hours"])
        if now > cutoff:
            raise Conflict(
                f"Too late to cancel: at least {context['cancel_cutoff_hours']} hours before "
                "the start.",
                errors={"start": ["The cancellation cut-off has passed."]},
            )
    elif action in ("check_in", "no_show"):
        if not is_department_staff(actor, doc):
            raise Forbidden("Only staff of the department receive its appointments.")
        if action == "check_in" and now >= doc["end"]:
            raise Conflict(
                "The slot has ended; record a no-show instead.",
                errors={"end": ["The slot is over."]},
            )
        if action == "no_show" and now < doc["start"]:
            raise Conflict("The slot has not started yet.", errors={"start": ["Not started yet."]})
    return transition
