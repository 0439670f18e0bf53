"""The follow-up state machine of a supervision event: open → acknowledged → closed, with
notes along the way. Fired through the case engine (CAS on state + version, audited)."""

from __future__ import annotations

from app.cases.workflow import Machine, Transition

EVENT_STATES = ("open", "acknowledged", "closed")

EVENT_MACHINE = Machine(
    name="supervision_event",
    states=EVENT_STATES,
    terminal=("closed",),
    transitions=(
        Transition(
            "acknowledge",
            sources=("open",),
            target="acknowledged",
            roles=("supervisor",),
            description="A supervisor takes the event up for follow-up.",
        ),
        Transition(
            "add_note",
            sources=("open", "acknowledged"),
            target=None,
            roles=("supervisor",),
            description="A follow-up note (author and time recorded); the state stays.",
        ),
        Transition(
            "close",
            sources=("acknowledged",),
            target="closed",
            roles=("supervisor",),
            description="Closed with a finding; nothing changes afterwards.",
        ),
    ),
)
