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


def remote_result_at(case: Mapping[str, Any]) -> datetime | None:
    """When CASE's result reached the applicant without a visit (KPI `results_remote`): on
    completion for an electronic result, when the carrier reports it delivered for a posted
    one; None otherwise."""
    if case.get("status") != wf.COMPLETED:
        return None
    if case.get("delivery") == ELECTRONIC:
        return case.get("completed_at")
    if case.get("delivery") == POST:
        return (case.get("shipment") or {}).get("delivered_at")
    return None
