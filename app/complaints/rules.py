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

from app.cases.workflow import Machine, Transition

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
            clock="pause",
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
