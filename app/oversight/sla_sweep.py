"""Time-based supervision events, swept by the worker: `sla_warning` when a case's `warn_at`
has come, `application_overdue` / `complaint_overdue` when its `overdue_at` has, each with
notifications to the people who must act.

Exactly once, with any number of sweepers and crashes anywhere: for each due case
  1. raise the event (its unique (type, subject, round) key makes a second insert a no-op;
     a reopened complaint is a new round, so it can be overdue again);
  2. null the case's clock field with a CAS on the value read (the case leaves the sweep).
A sweeper dying between the steps leaves the clock set; the next pass re-raises (a no-op)
and clears it. Notifications go out once per event through app.oversight.event_notifications
(CAS on the event's `notified_at`), right after the raise or from the worker's next pass."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app import clock
from app.cases import repository as cases_repo
from app.cases.workcalendar import CHINA_TZ
from app.oversight import event_notifications
from app.oversight.events import raise_for_case

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


def sweep_one(kind: str, clock_field: str, event_type: str, case: dict[str, Any]) -> bool:
    """Raise (and notify) and clear for one due case; True when this call cleared the clock."""
    event = raise_for_case(case, kind, event_type, summary(kind, event_type, case))
    if event is not None:
        # Tell who must act right away; the worker's notification step would otherwise do it
        # on its next pass (and does, if this process dies here).
        event_notifications.notify_event(event)
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
