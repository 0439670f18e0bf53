"""The one audit-log writer: who did what to which record, before and after, in which request."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from app import audit_repository as audit_repo
from app import clock


def _actor() -> dict[str, Any] | None:
    if not has_request_context():
        return {"id": None, "role": "system"}
    user = g.get("user")
    if user is None:
        return None
    return {"id": user.id, "role": user.role}


def record(
    action: str,
    subject_kind: str,
    subject_id: Any,
    *,
    before: Any = None,
    after: Any = None,
    actor: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    session: Any = None,
) -> None:
    """Append one audit entry. Never updated or deleted afterwards (no code path does)."""
    entry = {
        "at": clock.now(),
        "action": action,
        "actor": actor if actor is not None else _actor(),
        "subject": {"kind": subject_kind, "id": str(subject_id)},
        "before": before,
        "after": after,
        "detail": detail or {},
        "request_id": g.get("request_id") if has_request_context() else None,
    }
    audit_repo.append(entry, session=session)
