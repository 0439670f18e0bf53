"""Proof by commitment (告知承诺制, 国办发〔2020〕42号): for a material whose definition carries
`commitment: {text, version}`, the applicant's acceptance of that text replaces the document.
The case records the text's version, its SHA-256 and the time; on completion the lead
department gets a verification task (inbox kind `verification`); a commitment found false
revokes the certificate the case issued, raises `false_commitment` and bars the applicant
from commitments for `DomainRules.commitment_bar_days` days (a bar is a document of its own,
written by the relay from the verifying command's outbox)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession

from app import clock, outbox
from app.applications import repository as repo

PENDING = "pending"
CONFIRMED = "confirmed"
FALSE = "false"
RESULTS = (CONFIRMED, FALSE)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def barred_until(applicant_id: ObjectId) -> datetime | None:
    """Until when APPLICANT may make no commitment (a false one was found), or None."""
    bar = repo.active_commitment_bar(applicant_id, clock.now())
    return bar["until"] if bar else None


def problem(spec: Mapping[str, Any], given: Mapping[str, Any]) -> str | None:
    """Why the commitment GIVEN for the material SPEC is not acceptable, or None."""
    terms = spec.get("commitment")
    if not terms:
        return "This material cannot be replaced by a commitment."
    if given.get("accepted") is not True:
        return "Accept the commitment to use it in place of the document."
    if given.get("version") != terms["version"]:
        return "This commitment text has changed; read and accept the current version."
    return None


def recorded(spec: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What the case keeps of an accepted commitment: the text's version and hash, and when."""
    terms = spec["commitment"]
    return {"version": terms["version"], "sha256": digest(terms["text"]), "accepted_at": now}


def uses_commitment(case: Mapping[str, Any]) -> bool:
    return any(m.get("commitment") for m in case.get("materials") or [])


def verification_task(case: Mapping[str, Any], now: datetime) -> dict[str, Any] | None:
    """The lead department's task of checking the case's commitments, opened at completion."""
    if not uses_commitment(case):
        return None
    return {
        "status": PENDING,
        "department": case["department"],
        "materials": [m["key"] for m in case["materials"] if m.get("commitment")],
        "opened_at": now,
        "result": None,
        "note": None,
        "decided_at": None,
        "decided_by": None,
    }


def is_pending(case: Mapping[str, Any]) -> bool:
    return (case.get("verification") or {}).get("status") == PENDING


def bar_entry(case: Mapping[str, Any], now: datetime, reason: str) -> dict[str, Any]:
    """The outbox entry barring CASE's applicant from commitments (once per case)."""
    days = current_app.extensions["settings"].rules.commitment_bar_days
    return outbox.entry(
        "commitment_bar",
        bar={
            "_id": case["_id"],  # one bar per case that found a false commitment
            "applicant_id": case["applicant_id"],
            "tracking_no": case["tracking_no"],
            "reason": reason,
            "since": now,
            "until": now + timedelta(days=days),
        },
    )


@outbox.applier("commitment_bar")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    repo.insert_commitment_bars([item.entry["bar"] for item in pending], session)
