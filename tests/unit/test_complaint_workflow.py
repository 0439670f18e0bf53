"""The complaint state machine, without a database."""

import pytest

from app.accounts.auth import Principal
from app.cases.workflow import states_reachable
from app.complaints.rules import MACHINE
from app.http.errors import Conflict, Forbidden

RESIDENT = Principal(id="0" * 24, role="resident")
STAFF = Principal(id="1" * 24, role="staff", department="AMR-330100", duties=("reviewer",))


def test_every_state_is_reachable_and_closed_is_the_end():
    assert states_reachable(MACHINE, "submitted") == set(MACHINE.states)
    assert MACHINE.allowed_from("closed") == ["rate"]


def test_the_lifecycle_of_the_issue():
    assert MACHINE.transition("assign").sources == ("submitted",)
    assert MACHINE.transition("refuse").target == "submitted"
    assert MACHINE.transition("reopen").sources == ("resolved",)
    assert MACHINE.transition("reopen").target == "assigned"
    assert MACHINE.transition("confirm").target == "closed"
    assert MACHINE.transition("auto_close").roles == ()


def test_roles_are_checked_before_states():
    with pytest.raises(Forbidden):
        MACHINE.check("resolve", "assigned", RESIDENT)
    with pytest.raises(Forbidden):
        MACHINE.check("confirm", "resolved", STAFF)
    with pytest.raises(Conflict):
        MACHINE.check("resolve", "submitted", STAFF)
    with pytest.raises(Conflict):
        MACHINE.check("reopen", "closed", RESIDENT)
    assert MACHINE.check("reply", "replied", STAFF).target == "replied"
