"""Time-based supervision events, swept by the worker: `sla_warning` when a case's `warn_at`
has come, `application_overdue` / `complaint_overdue` when its `overdue_at` has, each with
notifications to the people who must act.

Exactly once, with any number of sweepers and crashes anywhere: for each due case one write
nulls the case's clock field with a compare-and-set on the value read (the case leaves the
sweep) and queues the event in the case's outbox (the relay raises it; its unique (type,
subject, round) key keeps it single, and a reopened complaint is a new round, so it can be
overdue again). Notifications go out once per event through app.oversight.event_notifications
(CAS on the event's `notified_at`) on the worker's next pass."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app

from app import clock
from app.cases import repository as cases_repo
from app.cases.workcalendar import CHINA_TZ
from app.oversight.events import for_case

log = logging.getLogger("onevisit.sweep")

# (case kind, clock field, event type)
SWEEPS = (
    ("application", "overdue_at", "application_overdue"),
    ("complaint", "overdue_at", "complaint_overdue"),
    ("application", "warn_at", "sla_warning"),
    ("complaint", "warn_at", "sla_warning"),
    ("rectification", "overdue_at", "rectification_overdue"),
)


# Sweeps of case types with deadlines of their own (e.g. an application's deferred materials,
# app.applications.deferred): `sweep(limit) -> how many cases it moved`, each exactly once.
_EXTRA: list[Callable[[int], int]] = []


def register(extra: Callable[[int], int]) -> Callable[[int], int]:
    _EXTRA.append(extra)
    return extra


def rules():
    return current_app.extensions["settings"].rules


def _local(at: Any) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if at else "?"


def summary(kind: str, event_type: str, case: dict[str, Any]) -> str:
    """No personal data: the tracking number, the department and the deadline only."""
    what = f"{kind.capitalize()} {case.get('tracking_no')} at {case.get('department')}"
    if event_type == "sla_warning":
        share = round(rules().sla_warning_fraction * 100)
        return f"{what} has used {share}% of its time limit (due {_local(case.get('due_at'))} CST)."
    return f"{what} is overdue (due {_local(case.get('due_at'))} CST)."


def sweep_one(kind: str, clock_field: str, event_type: str, case: dict[str, Any]) -> bool:
    """Clear the clock of one due case and queue its event, in one write; True when this call
    cleared it (another sweeper, or a transition that moved the clock, wins otherwise)."""
    entry = for_case(case, kind, event_type, summary(kind, event_type, case))
    return cases_repo.clear_clock(kind, case["_id"], clock_field, case[clock_field], [entry])


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
    for extra in _EXTRA:
        if should_stop():
            return report
        moved = extra(limit)
        report["cleared"] += moved
        if moved >= limit:
            report["full"] = 1
    return report
