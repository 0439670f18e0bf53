"""Raising supervision events (DESIGN.md 'Supervision event'): exactly once per subject, type
and round of handling, enforced by a unique key, so sweeps, retries and races never duplicate
one.

A command raises an event by queueing an outbox entry in its own write (`event_entry()`,
`for_case()`); the relay inserts it (`_apply`). A public report is itself the command's
document (`new_event()`). The oversight feature (feed, stream, follow-up) reads what lands."""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import clock, outbox
from app.catalogue.regions import ancestors
from app.oversight import repository as repo

log = logging.getLogger("onevisit.events")

SEVERITY = {
    "sla_warning": "low",
    "application_overdue": "high",
    "complaint_overdue": "high",
    "extra_visit": "medium",
    "bad_rating": "medium",
    "repeat_complaint": "medium",
    "complaint_reopened": "medium",
    "public_report": "medium",
    "rectification_overdue": "medium",
    "deferred_material_overdue": "medium",
    "false_commitment": "high",
}


def new_event(
    event_type: str,
    *,
    subject_kind: str,
    subject_id: Any,
    tracking_no: str | None,
    region: str | None,
    department: str | None,
    summary: str,
    dedupe: bool = True,
    extra: dict[str, Any] | None = None,
    round_: int = 0,
    event_id: ObjectId | None = None,
) -> dict[str, Any]:
    """The document of a new event. `summary` must not contain personal data."""
    if event_type not in SEVERITY:
        raise ValueError(f"unknown supervision event type {event_type!r}")
    now = clock.now()
    doc: dict[str, Any] = {
        "_id": event_id or ObjectId(),
        "type": event_type,
        "severity": SEVERITY[event_type],
        "subject": {"kind": subject_kind, "id": str(subject_id), "tracking_no": tracking_no},
        "region": region,
        "region_path": ancestors(region) if region else [],
        "department": department,
        "summary": summary[:500],
        "state": "open",
        "notes": [],
        "finding": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "timeline": [],
        **(extra or {}),
    }
    # The unique key: one event per (type, subject, round). Public reports are all distinct.
    doc["dedupe_key"] = (
        f"{event_type}:{subject_kind}:{subject_id}" + (f":{round_}" if round_ else "")
        if dedupe
        else f"{event_type}:{doc['_id']}"
    )
    return doc


def event_entry(event_type: str, **kw: Any) -> dict[str, Any]:
    """The outbox entry that raises an event (once per subject, type and round)."""
    doc = new_event(event_type, **kw)
    return outbox.entry("event", event=doc)


def for_case(
    case: dict[str, Any], subject_kind: str, event_type: str, summary: str, **extra: Any
) -> dict[str, Any]:
    """The entry raising an event about a case document (application or complaint), from its
    own fields; once per round of handling (each reopening of a complaint starts a new one)."""
    return event_entry(
        event_type,
        subject_kind=subject_kind,
        subject_id=case["_id"],
        tracking_no=case.get("tracking_no"),
        region=case.get("region"),
        department=case.get("department"),
        summary=summary,
        round_=len(case.get("reopens") or ()),
        extra=extra or None,
    )


@outbox.applier("event")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    """Insert each event unless its key is taken (an upsert: inside a transaction a duplicate
    key would abort the whole batch). The event's id is fixed by the command."""
    docs = [item.entry["event"] for item in pending]
    raised = repo.insert_unless_raised(docs, session)
    for doc in docs:
        if doc["dedupe_key"] in raised:
            log.info(
                "supervision event raised",
                extra={"event_type": doc["type"], "subject_id": doc["subject"]["id"]},
            )
