"""Rectifications (好差评整改): the case a bad rating opens, readable in one place (pure: no
database). The lead department's heads call the applicant back and fix the problem within
`DomainRules.rectification_working_days`; the department may instead appeal a rating it
holds unfair, and a supervisor of the region decides.

    open --callback--> called_back --resolve--> resolved (the applicant may rate once more)
      \\_____________________\\--appeal--> appealed --decide--> appeal_upheld (rating out of
                                                   the KPIs) | back where it was (rejected)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts.auth import Principal
from app.cases.workflow import Machine, Transition
from app.http.errors import Conflict, Forbidden

OPEN, CALLED_BACK, RESOLVED, APPEALED, APPEAL_UPHELD = (
    "open",
    "called_back",
    "resolved",
    "appealed",
    "appeal_upheld",
)
STATES = (OPEN, CALLED_BACK, RESOLVED, APPEALED, APPEAL_UPHELD)
STAFF = ("staff",)
SUPERVISORS = ("supervisor",)
APPLICANT_ROLES = ("resident", "enterprise")

MACHINE = Machine(
    name="rectification",
    states=STATES,
    terminal=(RESOLVED, APPEAL_UPHELD),
    transitions=(
        Transition(
            "callback",
            (OPEN,),
            CALLED_BACK,
            STAFF,
            description="a head of the lead department records that the applicant was contacted",
        ),
        Transition(
            "resolve",
            (CALLED_BACK,),
            RESOLVED,
            STAFF,
            description="a head of the lead department records what was done; the applicant "
            "may then rate the application once more",
        ),
        Transition(
            "appeal",
            (OPEN, CALLED_BACK),
            APPEALED,
            STAFF,
            description="a head of the lead department holds the rating unfair (once)",
        ),
        Transition(
            "decide_appeal",
            (APPEALED,),
            None,
            SUPERVISORS,
            description="a supervisor of the region decides: upheld takes the rating out of "
            "the KPIs; rejected sends the case back where it was",
        ),
    ),
)


def is_applicant(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role in APPLICANT_ROLES and str(doc.get("applicant_id")) == user.id


def is_department_staff(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role == "staff" and user.department == doc.get("department")


def is_head(user: Principal, doc: Mapping[str, Any]) -> bool:
    return is_department_staff(user, doc) and "head" in (user.duties or ())


def is_region_supervisor(user: Principal, doc: Mapping[str, Any]) -> bool:
    return (
        user.role == "supervisor"
        and user.region is not None
        and user.region in (doc.get("region_path") or [])
    )


def visible(user: Principal, doc: Mapping[str, Any]) -> bool:
    """The applicant, the department's staff, supervisors of the region (or above)."""
    return (
        is_applicant(user, doc) or is_department_staff(user, doc) or is_region_supervisor(user, doc)
    )


def check(
    action: str,
    actor: Principal | None,
    doc: Mapping[str, Any],
    context: Mapping[str, Any],
) -> Transition:
    """Every rule for ACTOR firing ACTION on the rectification DOC: role, duty, state."""
    if actor is None:
        raise Forbidden("Rectifications have no system transitions.")
    transition = MACHINE.check(action, doc["status"], actor)
    if action in ("callback", "resolve", "appeal"):
        if not is_head(actor, doc):
            raise Forbidden("Only the heads of the lead department handle its rectifications.")
        if action == "appeal" and doc.get("appeal"):
            raise Conflict("This rating was appealed already.")
    elif action == "decide_appeal":
        if not is_region_supervisor(actor, doc):
            raise Forbidden("Only a supervisor of the case's region decides an appeal.")
    return transition


def overdue(doc: Mapping[str, Any], now: Any) -> bool:
    due = doc.get("due_at")
    return doc.get("status") in (OPEN, CALLED_BACK, APPEALED) and due is not None and now > due
