"""Helpers for oversight tests: supervision events and case documents written directly in the
shared case conventions (COMMON.md), the way the applications/complaints features store them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId

from app import clock
from app.db import collection
from app.events import raise_event
from app.regions import ancestors

_seq = iter(range(1, 10_000_000))


def event(
    app,
    event_type: str = "application_overdue",
    region: str = "330100",
    department: str = "AMR-330100",
    subject_kind: str = "application",
    subject_id: Any = None,
) -> dict[str, Any]:
    with app.app_context():
        doc = raise_event(
            event_type,
            subject_kind=subject_kind,
            subject_id=subject_id or ObjectId(),
            tracking_no=f"ZJ2026112600{next(_seq):04d}",
            region=region,
            department=department,
            summary=f"{event_type} in {department}",
        )
    assert doc is not None
    return doc


def case(
    app,
    kind: str = "application",
    *,
    region: str = "330100",
    department: str = "AMR-330100",
    status: str = "in_review",
    warn_at: datetime | None = None,
    overdue_at: datetime | None = None,
    due_at: datetime | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Insert a case document as issue 3/4 would store it (only the fields oversight reads)."""
    now = clock.now()
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "tracking_no": f"{'ZJ' if kind == 'application' else 'TS'}2026{next(_seq):010d}",
        "status": status,
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
        **fields,
    }
    with app.app_context():
        collection("applications" if kind == "application" else "complaints").insert_one(doc)
    return doc
