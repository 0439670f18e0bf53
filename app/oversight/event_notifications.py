"""Notifications to the people who must act on a supervision event, sent by the worker for
every event whoever raised it (a sweep, a rating, a visit): department heads on overdue cases
and bad ratings; the assigned staff member (or else the department's staff) on SLA warnings.

Each event is notified once: the worker claims it with a CAS on `notified_at` (unset → now),
then notifies. A worker dying between the two loses that event's notifications, never
duplicates them (the event itself, what supervisors act on, is already stored)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bson import ObjectId

from app import clock
from app.accounts import repository as users_repo
from app.cases import repository as cases_repo
from app.i18n import N_
from app.messaging.notify import notify
from app.oversight import repository as events_repo

HEADS = "heads"
HANDLERS = "handlers"
# Event type -> who is told. Other types (reports, repeats, reopenings) are for supervisors.
RECIPIENTS = {
    "application_overdue": HEADS,
    "complaint_overdue": HEADS,
    "bad_rating": HEADS,
    "rectification_overdue": HEADS,
    "sla_warning": HANDLERS,
}
TITLES = {
    "application_overdue": N_("Overdue: {case}"),
    "complaint_overdue": N_("Overdue: {case}"),
    "bad_rating": N_("Bad rating: {case}"),
    "rectification_overdue": N_("Rectification overdue: {case}"),
    "sla_warning": N_("Time limit nearly used: {case}"),
}


def _as_oid(value: Any) -> ObjectId | None:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and ObjectId.is_valid(value):
        return ObjectId(value)
    if isinstance(value, dict):
        return _as_oid(value.get("id") or value.get("_id"))
    return None


def _assignee(event: dict[str, Any]) -> ObjectId | None:
    subject = event.get("subject") or {}
    if subject.get("kind") not in cases_repo.CASE_COLLECTIONS or not ObjectId.is_valid(
        subject.get("id") or ""
    ):
        return None
    case = cases_repo.get(subject["kind"], ObjectId(subject["id"]))
    if case is None:
        return None
    for field in ("assigned_to", "assignee", "mediator"):
        found = _as_oid(case.get(field))
        if found is not None:
            return found
    return None


def recipients(event: dict[str, Any]) -> list[ObjectId]:
    department = event.get("department")
    who = RECIPIENTS.get(event["type"])
    if not department or who is None:
        return []
    if who == HEADS:
        return [u["_id"] for u in users_repo.staff_of_department(department, "head")]
    assignee = _assignee(event)
    if assignee is not None:
        return [assignee]
    return [u["_id"] for u in users_repo.staff_of_department(department)]


def notify_event(event: dict[str, Any]) -> int:
    """Claim EVENT's notifications and send them; returns how many people were told."""
    if not events_repo.claim_notification(event["_id"], clock.now()):
        return 0
    people = recipients(event)
    subject = event.get("subject") or {}
    case = subject.get("tracking_no") or subject.get("id")
    for user_id in people:
        notify(
            user_id,
            event["type"],
            TITLES[event["type"]],
            "{text}",
            params={"case": case, "text": event["summary"]},
            subject={"kind": subject.get("kind"), "id": subject.get("id")},
        )
    return len(people)


def notify_pending(limit: int, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """One bounded pass over events not yet notified, per type (index type_notified)."""
    report = {"events": 0, "people": 0, "full": 0}
    for event_type in RECIPIENTS:
        pending = events_repo.not_notified(event_type, limit)
        if len(pending) >= limit:
            report["full"] = 1
        for event in pending:
            if should_stop():
                return report
            report["events"] += 1
            report["people"] += notify_event(event)
    return report
