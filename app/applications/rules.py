"""The application lifecycle as one pure state machine: states, transitions, who may fire each
(role, duty and department), and what each does to the SLA clock. No database, no HTTP.

    submitted ──accept──▶ in_review ──request_supplement──▶ needs_supplement
        │                  │   ▲                                  │
        │ reject           │   └────────────supplement────────────┘
        ▼                  │ review (all approve)     review (any reject)
    rejected ◀─────────────┼──────────────────────────────────────┐
        ▲                  ▼                                      │
    withdraw: submitted ─▶ withdrawn        approved ──complete──▶ completed

`review` records one department's decision; the status changes only when the decision
settles the case (`review_outcome`). `record_visit` and `rate` change no status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.accounts.auth import Principal
from app.cases.workflow import Machine, Transition
from app.http.errors import Conflict, Forbidden

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
NEEDS_SUPPLEMENT = "needs_supplement"
APPROVED = "approved"
COMPLETED = "completed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
# A case accepted on a promise to hand a material in later whose promise lapsed (容缺受理).
TERMINATED = "terminated"

STATES = (
    SUBMITTED,
    IN_REVIEW,
    NEEDS_SUPPLEMENT,
    APPROVED,
    COMPLETED,
    REJECTED,
    WITHDRAWN,
    TERMINATED,
)
TERMINAL = (COMPLETED, REJECTED, WITHDRAWN, TERMINATED)
# Fired by the worker, never by a person.
SYSTEM_ACTIONS = ("terminate",)
APPLICANT_ROLES = ("resident", "enterprise")
DECIDING_DUTIES = ("reviewer", "head")
# The SLA clock runs from acceptance until one of these; it is paused in needs_supplement.
CLOCK_RUNNING = (IN_REVIEW, APPROVED)
# `review` keeps the status until a decision settles the case into one of these.
REVIEW_TARGETS = (APPROVED, REJECTED)

MACHINE = Machine(
    name="application",
    states=STATES,
    terminal=TERMINAL,
    transitions=(
        Transition(
            "accept",
            (SUBMITTED,),
            IN_REVIEW,
            roles=("staff",),
            clock="start",
            description="One window accepts the case: the lead department's staff, or window "
            "staff of the case's region (or a region above it). Opens one review task per "
            "involved department.",
        ),
        Transition(
            "reject",
            (SUBMITTED,),
            REJECTED,
            roles=("staff",),
            clock="stop",
            description="Refused at acceptance, with a reason (same people as accept).",
        ),
        Transition(
            "review",
            (IN_REVIEW,),
            None,
            roles=("staff",),
            duties=DECIDING_DUTIES,
            description="One department decides its own task; the case moves to approved when "
            "every task approves, to rejected when any rejects (the clock stops then).",
        ),
        Transition(
            "request_supplement",
            (IN_REVIEW,),
            NEEDS_SUPPLEMENT,
            roles=("staff",),
            duties=DECIDING_DUTIES,
            clock="pause",
            description="A department whose task is pending asks the applicant for materials.",
        ),
        Transition(
            "supplement",
            (NEEDS_SUPPLEMENT,),
            IN_REVIEW,
            roles=APPLICANT_ROLES,
            clock="resume",
            description="The applicant hands in the requested materials; due_at moves by the "
            "pause.",
        ),
        Transition(
            "complete",
            (APPROVED,),
            COMPLETED,
            roles=("staff",),
            duties=("window", "head"),
            clock="stop",
            description="The lead department completes the case and issues its certificate.",
        ),
        Transition(
            "hand_in",
            (IN_REVIEW, APPROVED),
            None,
            roles=APPLICANT_ROLES,
            description="The applicant hands in a material accepted for later (容缺受理), "
            "through the supplements call; the clock keeps running.",
        ),
        Transition(
            "terminate",
            (IN_REVIEW, NEEDS_SUPPLEMENT, APPROVED),
            TERMINATED,
            roles=(),
            clock="stop",
            description="The worker terminates a case whose material accepted for later is "
            "overdue.",
        ),
        Transition(
            "verify",
            (COMPLETED,),
            None,
            roles=("staff",),
            duties=DECIDING_DUTIES,
            description="The lead department verifies, once, the commitments (告知承诺制) that "
            "replaced proofs: confirmed, or false (the certificate is revoked, the applicant "
            "barred from commitments).",
        ),
        Transition(
            "withdraw",
            (SUBMITTED,),
            WITHDRAWN,
            roles=APPLICANT_ROLES,
            clock="stop",
            description="The applicant withdraws before acceptance.",
        ),
        Transition(
            "record_visit",
            (SUBMITTED, IN_REVIEW, NEEDS_SUPPLEMENT, APPROVED, COMPLETED, REJECTED),
            None,
            roles=("staff",),
            description="Involved staff record a physical visit of the applicant.",
        ),
        Transition(
            "pay",
            (SUBMITTED, IN_REVIEW, NEEDS_SUPPLEMENT, APPROVED),
            None,
            roles=APPLICANT_ROLES,
            description="The applicant starts paying the service item's fee online "
            "(app.payments); the provider's confirmation marks it paid.",
        ),
        Transition(
            "dispatch",
            (COMPLETED,),
            None,
            roles=("staff",),
            description="The lead department posts the result (app.delivery).",
        ),
        Transition(
            "rate",
            TERMINAL,
            None,
            roles=APPLICANT_ROLES,
            description="The applicant rates the service once, after a terminal state.",
        ),
    ),
)

# Who may act besides role and duty: which principal relates to the case how.


def involved_departments(case: Mapping[str, Any]) -> list[str]:
    return [case["department"], *case.get("co_departments", [])]


def is_owner(actor: Principal, case: Mapping[str, Any]) -> bool:
    """The applicant (or someone acting for them whose grant covers the case's item)."""
    return (
        actor.role in APPLICANT_ROLES
        and str(case["applicant_id"]) == actor.id
        and (actor.matters is None or actor.may_handle_matter(case["matter"]["code"]))
    )


def is_window_of_region(actor: Principal, case: Mapping[str, Any]) -> bool:
    """Window staff whose department's region is the case's region or one above it."""
    return (
        actor.role == "staff"
        and actor.has_duty("window")
        and actor.region is not None
        and actor.region in case.get("region_path", [])
    )


def is_involved_staff(actor: Principal, case: Mapping[str, Any]) -> bool:
    return actor.role == "staff" and (
        actor.department in involved_departments(case) or is_window_of_region(actor, case)
    )


def may_read(actor: Principal, case: Mapping[str, Any]) -> bool:
    """Owner, involved staff, supervisors of the case's region or above; nobody else."""
    if actor.role in APPLICANT_ROLES:
        return is_owner(actor, case)
    if actor.role == "staff":
        return is_involved_staff(actor, case)
    if actor.role == "supervisor":
        return actor.region is not None and actor.region in case.get("region_path", [])
    return False


def may_accept(actor: Principal, case: Mapping[str, Any]) -> bool:
    return actor.role == "staff" and (
        actor.department == case["department"] or is_window_of_region(actor, case)
    )


def authorize(action: str, actor: Principal, case: Mapping[str, Any], **context: Any) -> None:
    """The department/ownership half of the rules (the Machine checks role and duty).
    Raises Forbidden; the caller has already made invisible cases a 404."""
    if action in ("accept", "reject"):
        if not may_accept(actor, case):
            raise Forbidden(
                "Only the lead department or window staff of the case's region may do this."
            )
    elif action == "review":
        if actor.department != context["department"]:
            raise Forbidden("You may decide only your own department's review task.")
    elif action == "request_supplement":
        if actor.department not in involved_departments(case):
            raise Forbidden("Only a department reviewing the case asks for materials.")
    elif action == "record_visit":
        if not is_involved_staff(actor, case):
            raise Forbidden("Only staff handling the case record its visits.")
    elif action in ("complete", "verify"):
        if actor.department != case["department"]:
            raise Forbidden("Only the lead department completes or verifies a case.")
    elif action == "dispatch":
        if actor.department != case["department"]:
            raise Forbidden("Only the lead department dispatches the result.")
    elif action in ("supplement", "hand_in", "withdraw", "rate", "pay"):
        if not is_owner(actor, case):
            raise Forbidden("Only the applicant may do this.")
    else:
        raise ValueError(f"no rule for action {action!r}")


def check(action: str, actor: Principal, case: Mapping[str, Any], **context: Any) -> Transition:
    """Every rule for ACTOR firing ACTION on CASE: role, duty, department, source state."""
    if actor.role not in MACHINE.transition(action).roles:
        # Supervisors read but never act; applicants never act as staff and vice versa.
        raise Forbidden(f"Your role may not {action.replace('_', ' ')}.")
    authorize(action, actor, case, **context)
    return MACHINE.check(action, case["status"], actor)


def check_system(action: str, case: Mapping[str, Any]) -> Transition:
    """The worker firing one of SYSTEM_ACTIONS: only the source state is checked."""
    if action not in SYSTEM_ACTIONS:
        raise Forbidden("Applications have no such system transition.")
    transition = MACHINE.transition(action)
    if case["status"] not in transition.sources:
        raise Conflict("The case is no longer in a state this system action applies to.")
    return transition


def open_reviews(departments: Iterable[str]) -> list[dict[str, Any]]:
    """Acceptance opens one pending task per involved department, all at once."""
    return [
        {"department": code, "status": "pending", "opinion": None, "decided_at": None}
        for code in dict.fromkeys(departments)
    ]


def review_outcome(reviews: Iterable[Mapping[str, Any]]) -> str | None:
    """approved when every task approves, rejected when any rejects, else None (undecided)."""
    statuses = [r["status"] for r in reviews]
    if "rejected" in statuses:
        return REJECTED
    if statuses and all(s == "approved" for s in statuses):
        return APPROVED
    return None


def clock_effect(action: str, target: str) -> str | None:
    """What firing ACTION into TARGET does to the clock: start, pause, resume, stop or None."""
    if action == "review":
        return "stop" if target == REJECTED else None
    return MACHINE.transition(action).clock


def overdue(case: Mapping[str, Any], now: Any) -> bool:
    """Due time passed without completion; time in needs_supplement does not count, and a
    case finished late stays overdue."""
    due = case.get("due_at")
    if due is None:
        return False
    status = case["status"]
    if status in TERMINAL:
        finished = case.get("completed_at") or case.get("closed_at")
        return finished is not None and finished > due
    if status == NEEDS_SUPPLEMENT and case.get("clock_paused_at") is not None:
        return case["clock_paused_at"] > due
    return now > due


def inbox_keys(case: Mapping[str, Any]) -> list[str]:
    """The work-queue tokens a case is filed under, so one multikey index answers every inbox:
    `accept:dept:<lead>` and `accept:window:<region>` while submitted, and `review:<dept>` for
    each department whose task is pending while in review."""
    status = case["status"]
    if status == SUBMITTED:
        return [f"accept:dept:{case['department']}"] + [
            f"accept:window:{region}" for region in case.get("region_path", [])
        ]
    if status == IN_REVIEW:
        return [f"review:{r['department']}" for r in case["reviews"] if r["status"] == "pending"]
    task = case.get("verification") or {}
    if status == COMPLETED and task.get("status") == "pending":
        return [f"verify:{task['department']}"]
    return []


def acceptance_keys(actor: Principal) -> list[str]:
    keys = [f"accept:dept:{actor.department}"]
    if actor.has_duty("window") and actor.region:
        keys.append(f"accept:window:{actor.region}")
    return keys


def review_keys(actor: Principal) -> list[str]:
    return [f"review:{actor.department}"]


def verification_keys(actor: Principal) -> list[str]:
    return [f"verify:{actor.department}"]
