"""Raising supervision events (DESIGN.md 'Supervision event'): exactly once per subject and
type, enforced by a unique key, so sweeps, retries and races never duplicate one.

The oversight feature (feed, stream, follow-up) reads what this writes."""

from __future__ import annotations

import logging
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app import clock
from app.catalogue.regions import ancestors
from app.db import collection

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
}


def raise_event(
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
) -> dict[str, Any] | None:
    """Insert the event unless one of this type exists for this subject (in this ROUND_ of
    handling: a reopened complaint is handled again, so it may be overdue again); returns it
    when new.

    `summary` must not contain personal data (names, phones, ID numbers)."""
    if event_type not in SEVERITY:
        raise ValueError(f"unknown supervision event type {event_type!r}")
    now = clock.now()
    doc: dict[str, Any] = {
        "_id": ObjectId(),
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
        **(extra or {}),
    }
    # The unique key: one event per (type, subject, round). Public reports are all distinct.
    doc["dedupe_key"] = (
        f"{event_type}:{subject_kind}:{subject_id}" + (f":{round_}" if round_ else "")
        if dedupe
        else f"{event_type}:{doc['_id']}"
    )
    try:
        collection("supervision_events").insert_one(doc)
    except DuplicateKeyError:
        return None
    log.info(
        "supervision event raised", extra={"event_type": event_type, "subject_id": str(subject_id)}
    )
    return doc


def raise_for_case(
    case: dict[str, Any], subject_kind: str, event_type: str, summary: str
) -> dict[str, Any] | None:
    """An event about a case document (application or complaint), from its own fields; once
    per round of handling (each reopening of a complaint starts a new one)."""
    return raise_event(
        event_type,
        subject_kind=subject_kind,
        subject_id=case["_id"],
        tracking_no=case.get("tracking_no"),
        region=case.get("region"),
        department=case.get("department"),
        summary=summary,
        round_=len(case.get("reopens") or ()),
    )
