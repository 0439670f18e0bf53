"""The complaint state machine, readable in one place: which action moves a complaint from
which state to which, who may fire it, and what it does to the SLA clock.

    submitted --assign--> assigned --reply--> replied --resolve--> resolved --confirm--> closed
        ^                  |   ^                 |                   |  \\--auto_close--^
        +-----refuse-------+   +-----------------+------reopen-------+

`refuse` sends a wrong assignment back to the hotline queue (`submitted`); `reopen` (within
the reopen window, with a reason) sends a resolution back to `assigned`. Actions that do not
change the status (`take`, `record_session`, `rate`) still go through the same
compare-and-set write so they are ordered, audited and on the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts.auth import Principal
from app.cases.workflow import Machine, Transition
from app.http.errors import Conflict, Forbidden

STATES = ("submitted", "assigned", "replied", "resolved", "closed")
OPEN_STATES = ("submitted", "assigned", "replied")
IN_HANDS = ("assigned", "replied")  # a department or mediation organisation is working on it
OWNER_ROLES = ("resident", "enterprise")
STAFF = ("staff",)

MACHINE = Machine(
    name="complaint",
    states=STATES,
    terminal=("closed",),
    transitions=(
        Transition(
            "assign",
            ("submitted",),
            "assigned",
            STAFF,
            description="hotline staff route it to a department or a mediation organisation",
        ),
        Transition(
            "refuse",
            ("assigned",),
            "submitted",
            STAFF,
            clock="exclude",
            description="the receiving side says it is not theirs: back to the hotline queue; "
            "the time it spent there is not charged to anyone",
        ),
        Transition(
            "take",
            IN_HANDS,
            None,
            STAFF,
            description="a mediator of the assigned organisation takes the case",
        ),
        Transition(
            "record_session",
            IN_HANDS,
            None,
            STAFF,
            description="a mediation session with notes",
        ),
        Transition("reply", IN_HANDS, "replied", STAFF, description="a reply to the complainant"),
        Transition(
            "resolve",
            IN_HANDS,
            "resolved",
            STAFF,
            clock="stop",
            description="the handling department resolves it (disputes: with an outcome)",
        ),
        Transition(
            "confirm",
            ("resolved",),
            "closed",
            OWNER_ROLES,
            description="the complainant accepts the resolution",
        ),
        Transition(
            "reopen",
            ("resolved",),
            "assigned",
            OWNER_ROLES,
            clock="start",
            description="the complainant is not satisfied (within the reopen window, with a "
            "reason): back to the same department with a fresh clock",
        ),
        Transition(
            "auto_close",
            ("resolved",),
            "closed",
            (),
            description="an unconfirmed resolution closes itself after the auto-close period",
        ),
        Transition(
            "rate",
            ("resolved", "closed"),
            None,
            OWNER_ROLES,
            description="the complainant rates the handling once",
        ),
    ),
)


def is_open(status: str) -> bool:
    return status in OPEN_STATES


# Who relates to a complaint how (pure: the case document and the principal only).


def is_owner(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role in OWNER_ROLES and doc.get("complainant_id") == user.oid


def is_handling_staff(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role == "staff" and user.department == doc.get("department")


def is_hotline_staff(user: Principal, doc: Mapping[str, Any]) -> bool:
    return user.role == "staff" and user.department == doc.get("hotline")


def is_mediation_staff(user: Principal, doc: Mapping[str, Any]) -> bool:
    return (
        is_handling_staff(user, doc)
        and doc.get("mediation_org") is not None
        and doc.get("mediation_org") == doc.get("department")
    )


def visible(user: Principal, doc: Mapping[str, Any]) -> bool:
    if user.role == "supervisor":
        return user.region is not None and user.region in doc.get("region_path", [])
    return is_owner(user, doc) or is_handling_staff(user, doc) or is_hotline_staff(user, doc)


OWNER_ACTIONS = {"confirm": "confirm the resolution", "reopen": "reopen it", "rate": "rate it"}
HANDLER_ACTIONS = {"refuse": "refuse it", "reply": "reply", "resolve": "resolve it"}


def check(
    action: str,
    actor: Principal | None,
    doc: Mapping[str, Any],
    context: Mapping[str, Any],
) -> Transition:
    """Every rule for ACTOR firing ACTION on the complaint DOC: role, relation, state and the
    action's own conditions. ACTOR None is the system (auto-close): the state alone decides.
    CONTEXT carries `now` and `reopen_window` (a timedelta) for reopen."""
    status = doc["status"]
    if actor is None:
        transition = MACHINE.transition(action)
        if status not in transition.sources:
            raise Conflict(f"Cannot {action.replace('_', ' ')} a complaint that is {status}.")
        return transition
    if action in OWNER_ACTIONS:
        if not is_owner(actor, doc):
            raise Forbidden(f"Only the complainant may {OWNER_ACTIONS[action]}.")
        transition = MACHINE.check(action, status, actor)
        if action == "reopen":
            window = context["reopen_window"]
            if context["now"] > doc["resolved_at"] + window:
                raise Conflict(
                    f"A complaint can be reopened within {window.days} days of its "
                    "resolution; that time has passed.",
                    errors={"status": ["The reopen window has ended."]},
                )
        if action == "rate" and doc.get("rating") is not None:
            raise Conflict("This complaint has been rated already.")
        return transition
    transition = MACHINE.check(action, status, actor)
    if action == "assign" and not is_hotline_staff(actor, doc):
        raise Forbidden("Only staff of the hotline whose queue holds the complaint may route it.")
    if action in HANDLER_ACTIONS and not is_handling_staff(actor, doc):
        raise Forbidden(
            "Only staff of the department the complaint is assigned to may "
            f"{HANDLER_ACTIONS[action]}."
        )
    mediator = doc.get("mediator")
    if action == "refuse" and doc["department"] == doc["hotline"]:
        raise Conflict("The hotline holds this complaint; route it instead of refusing it.")
    if action == "take":
        if not is_mediation_staff(actor, doc):
            raise Forbidden("Only staff of the assigned mediation organisation may take it.")
        if mediator is not None and mediator["id"] != actor.id:
            raise Conflict("Another mediator has taken this case.")
    if action == "record_session":
        if not is_mediation_staff(actor, doc):
            raise Forbidden("Only staff of the assigned mediation organisation record sessions.")
        if mediator is not None and mediator["id"] != actor.id:
            raise Forbidden("Only the mediator who took the case records its sessions.")
    if (
        action == "resolve"
        and mediator
        and is_mediation_staff(actor, doc)
        and mediator["id"] != actor.id
    ):
        raise Forbidden("Only the mediator who took the case resolves it.")
    return transition


def resolution_problems(kind: str, data: Mapping[str, Any]) -> dict[str, list[str]] | None:
    """Why DATA cannot resolve a complaint of KIND (None when it can): disputes need an
    outcome; a dispute not settled names where it was referred; a settled one may carry the
    agreement's text (optional: an oral mediation agreement is lawful, API.md v2). Other kinds
    have none of these."""
    outcome = data.get("outcome")
    if kind == "dispute":
        if outcome is None:
            return {"outcome": ["Required for disputes: settled or not_settled."]}
        if outcome == "not_settled" and not data.get("referral"):
            return {"referral": ["Required when the outcome is not_settled."]}
        wrong = "referral" if outcome == "settled" else "agreement"
        if data.get(wrong):
            return {wrong: [f"Not allowed when the outcome is {outcome}."]}
        return None
    extra = [k for k in ("outcome", "agreement", "referral") if data.get(k)]
    return {k: ["Only for disputes."] for k in extra} or None
