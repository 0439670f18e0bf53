"""Helpers for oversight tests: supervision events and case documents written directly in the
shared case conventions (COMMON.md), the way the applications/complaints features store them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from app import clock, outbox
from app.catalogue.regions import ancestors
from app.db import collection
from app.oversight import repository as events_repo
from app.oversight.events import event_entry

_seq = iter(range(1, 10_000_000))

APPLICATION_DEFAULTS: dict[str, Any] = {
    "applicant_id": ObjectId("0" * 24),
    "applicant": {"name": "R***", "kind": "person"},
    "matter": {
        "code": "ZJ-TEST",
        "version": 1,
        "name": "Test matter",
        "time_limit": {"value": 1, "unit": "working_days"},
        "max_visits": 1,
    },
    "form": {},
    "materials": [],
    "delivery": "electronic",
    "co_departments": [],
    "reviews": [],
    "visits": [],
    "visit_count": 0,
    "inbox_keys": [],
    "submitted_at": datetime(2026, 11, 2, tzinfo=UTC),
}
COMPLAINT_DEFAULTS: dict[str, Any] = {
    "kind": "complaint",
    "category": "test",
    "title": "Test complaint",
    "description": "A test complaint",
    "source": "app",
    "hotline": "HOTLINE-330100",
}


def event(
    app,
    event_type: str = "application_overdue",
    region: str = "330100",
    department: str = "AMR-330100",
    subject_kind: str = "application",
    subject_id: Any = None,
) -> dict[str, Any]:
    with app.app_context():
        entry = event_entry(
            event_type,
            subject_kind=subject_kind,
            subject_id=subject_id or ObjectId(),
            tracking_no=f"ZJ2026112600{next(_seq):04d}",
            region=region,
            department=department,
            summary=f"{event_type} in {department}",
        )
        outbox.apply_now([entry])
        doc = events_repo.by_dedupe_key(entry["event"]["dedupe_key"])
    assert doc is not None
    return doc


def case(
    app,
    case_kind: str = "application",
    *,
    region: str = "330100",
    department: str = "AMR-330100",
    status: str | None = None,
    warn_at: datetime | None = None,
    overdue_at: datetime | None = None,
    due_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Insert a case document as issue 3/4 would store it (only the fields oversight reads)."""
    now = clock.now()
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "tracking_no": f"{'ZJ' if case_kind == 'application' else 'TS'}2026{next(_seq):010d}",
        "status": status or ("in_review" if case_kind == "application" else "assigned"),
        "version": 1,
        "timeline": [],
        "region": region,
        "region_path": ancestors(region),
        "department": department,
        "created_at": now,
        "updated_at": now,
        "due_at": due_at or overdue_at,
        "warn_at": warn_at,
        "overdue_at": overdue_at,
        "clock_paused_at": None,
        # What the case collections' validators require beyond the shared conventions.
        **(APPLICATION_DEFAULTS if case_kind == "application" else COMPLAINT_DEFAULTS),
        **fields,
    }
    with app.app_context():
        name = "applications" if case_kind == "application" else "complaints"
        collection(name).insert_one(doc)
    return doc


# What the case transitions do to the KPI counters, for scenarios written before the real
# applications/complaints services exist: insert/update the document AND record the same
# increments in the same step (the contract in app/oversight/kpi_rebuild.py).


def _record(app, doc, at, increments):
    from app.oversight import kpi

    with app.app_context():
        outbox.apply_now(kpi.increment(doc["department"], doc["region"], at, **increments))


def _save(app, kind, doc):
    with app.app_context():
        coll = collection("applications" if kind == "application" else "complaints")
        coll.replace_one({"_id": doc["_id"]}, doc)


def submit_application(app, submitted_at, **fields: Any) -> dict[str, Any]:
    doc = case(
        app,
        "application",
        submitted_at=submitted_at,
        created_at=submitted_at,
        visits=[],
        rating=None,
        **fields,
    )
    _record(app, doc, submitted_at, {"applications_received": 1})
    return doc


def complete_application(app, doc, completed_at, visits=0) -> None:
    from app.oversight import kpi_rebuild

    doc.update(
        status="completed",
        completed_at=completed_at,
        visits=[{"at": completed_at, "purpose": "collect"} for _ in range(visits)],
        visit_count=visits,
    )
    _save(app, "application", doc)
    with app.app_context():
        increments = kpi_rebuild.completion_increments(doc)
    _record(app, doc, completed_at, increments)


def reject_application(app, doc, at) -> None:
    doc["status"] = "rejected"
    doc["timeline"].append({"at": at, "action": "reject", "to_status": "rejected"})
    _save(app, "application", doc)
    _record(app, doc, at, {"applications_rejected": 1})


def rate(app, kind, doc, score, at) -> None:
    from app.oversight import kpi

    doc["rating"] = {"score": score, "at": at}
    _save(app, kind, doc)
    with app.app_context():
        increments = kpi.rating_increments(score, kind)
    _record(app, doc, at, increments)


def file_complaint(app, created_at, kind="complaint", repeat_of=None, **fields) -> dict[str, Any]:
    doc = case(
        app,
        "complaint",
        created_at=created_at,
        status="assigned",
        kind=kind,
        hotline=fields.get("department", "AMR-330100"),  # filed straight with it
        repeat_of=repeat_of,
        reopen_count=0,
        resolved_at=None,
        outcome=None,
        rating=None,
        **fields,
    )
    increments = {"complaints_received": 1}
    if repeat_of:
        increments["complaints_repeat"] = 1
    _record(app, doc, created_at, increments)
    return doc


def resolve_complaint(app, doc, resolved_at, outcome=None) -> None:
    from app.oversight import kpi_rebuild

    doc.update(status="resolved", resolved_at=resolved_at, outcome=outcome)
    _save(app, "complaint", doc)
    with app.app_context():
        increments = kpi_rebuild.resolution_increments(doc)
    _record(app, doc, resolved_at, increments)


def reopen_complaint(app, doc, at) -> None:
    from app.oversight import kpi_rebuild

    with app.app_context():
        undo = kpi_rebuild.reopening_increments(doc)
    _record(app, doc, doc["resolved_at"], undo)
    doc.update(status="assigned", resolved_at=None, outcome=None)
    doc.setdefault("reopens", []).append({"at": at, "reason": "again"})
    doc["reopen_count"] = doc.get("reopen_count", 0) + 1
    _save(app, "complaint", doc)
    _record(app, doc, at, {"complaints_reopened": 1})
