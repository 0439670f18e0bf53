"""Time-based supervision events, swept by the worker: `sla_warning` when a case's `warn_at`
has come, `application_overdue` / `complaint_overdue` when its `overdue_at` has, each with
notifications to the people who must act.

Exactly once, with any number of sweepers and crashes anywhere: for each due case
  1. raise the event (its unique (type, subject) key makes a second insert a no-op);
  2. claim the event's notifications with a CAS on `notified_at` (one claimant notifies);
  3. null the case's clock field with a CAS on the value read (the case leaves the sweep).
Each step is idempotent, so a sweeper that dies between steps leaves work the next pass
completes without duplicating anything. (A crash right after step 2 loses that event's
notifications: the event itself, which is what supervisors act on, is never lost.)"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bson import ObjectId

from app import clock
from app.events import raise_event
from app.notify import notify
from app.repositories import cases as cases_repo
from app.repositories import supervision_events as events_repo
from app.repositories import users as users_repo
from app.workcalendar import CHINA_TZ

log = logging.getLogger("onevisit.sweep")

# (case kind, clock field, event type)
SWEEPS = (
    ("application", "overdue_at", "application_overdue"),
    ("complaint", "overdue_at", "complaint_overdue"),
    ("application", "warn_at", "sla_warning"),
    ("complaint", "warn_at", "sla_warning"),
)


def _local(at: Any) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if at else "?"


def summary(kind: str, event_type: str, case: dict[str, Any]) -> str:
    """No personal data: the tracking number, the department and the deadline only."""
    what = f"{kind.capitalize()} {case.get('tracking_no')} at {case.get('department')}"
    if event_type == "sla_warning":
        return f"{what} has used 80% of its time limit (due {_local(case.get('due_at'))} CST)."
    return f"{what} is overdue (due {_local(case.get('due_at'))} CST)."


def recipients(event_type: str, case: dict[str, Any]) -> list[ObjectId]:
    """Overdue: the department head(s). Warning: the assigned staff member, or else the
    department's staff (whoever picks the case up next)."""
    department = case.get("department") or ""
    if event_type != "sla_warning":
        return [u["_id"] for u in users_repo.staff_of_department(department, "head")]
    assigned = case.get("assigned_to") or (case.get("assignee") or {}).get("id")
    if assigned:
        return [assigned if isinstance(assigned, ObjectId) else ObjectId(str(assigned))]
    return [u["_id"] for u in users_repo.staff_of_department(department)]


def _notify_once(event: dict[str, Any], kind: str, case: dict[str, Any]) -> int:
    if not events_repo.claim_notification(event["_id"], clock.now()):
        return 0
    people = recipients(event["type"], case) if case.get("department") else []
    title = (
        f"Time limit nearly used: {case.get('tracking_no')}"
        if event["type"] == "sla_warning"
        else f"Overdue: {case.get('tracking_no')}"
    )
    for user_id in people:
        notify(
            user_id,
            event["type"],
            title,
            event["summary"],
            subject={"kind": kind, "id": str(case["_id"])},
        )
    return len(people)


def sweep_one(kind: str, clock_field: str, event_type: str, case: dict[str, Any]) -> bool:
    """Raise, notify and clear for one due case; True when this call cleared the clock."""
    event = raise_event(
        event_type,
        subject_kind=kind,
        subject_id=case["_id"],
        tracking_no=case.get("tracking_no"),
        region=case.get("region"),
        department=case.get("department"),
        summary=summary(kind, event_type, case),
    ) or events_repo.by_dedupe_key(f"{event_type}:{kind}:{case['_id']}")
    if event is not None:
        _notify_once(event, kind, case)
    return cases_repo.clear_clock(kind, case["_id"], clock_field, case[clock_field])


def sweep(limit: int, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """One bounded pass over every due clock; `full` says a batch was full (more may wait)."""
    now = clock.now()
    report: dict[str, int] = {"cleared": 0, "full": 0}
    for kind, clock_field, event_type in SWEEPS:
        due = cases_repo.clocks_due(kind, clock_field, now, limit)
        if len(due) >= limit:
            report["full"] = 1
        for case in due:
            if should_stop():
                return report
            if sweep_one(kind, clock_field, event_type, case):
                report["cleared"] += 1
    return report
