"""Delivery of results: who sees a postal address in full, and which results count as
delivered without a visit (the KPI). Pure; no database, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.accounts.auth import Principal
from app.applications import rules as wf

POST = "post"
ELECTRONIC = "electronic"
STATUSES = ("pending", "dispatched", "delivered", "returned")


def sees_address(reader: Principal | None, case: Mapping[str, Any]) -> bool:
    """The applicant and staff of the lead department see the address in full; everyone else
    (co-departments, windows of the region, supervisors) masked."""
    if reader is None:
        return False
    if wf.is_owner(reader, case):
        return True
    return reader.role == "staff" and reader.department == case["department"]


def remote_on_completion(case: Mapping[str, Any]) -> bool:
    """An electronic result reaches the applicant without a visit when the case completes
    (KPI `results_remote`, counted with the completion)."""
    return case.get("delivery") == ELECTRONIC


def posted_delivered_at(case: Mapping[str, Any]) -> datetime | None:
    """When a posted result of a completed CASE was delivered (KPI `results_remote`, counted
    when the carrier reports it), or None."""
    if case.get("status") != wf.COMPLETED or case.get("delivery") != POST:
        return None
    return (case.get("shipment") or {}).get("delivered_at")
