"""The one state-machine mechanism: pure transition tables (who may fire what, from which
state, with which clock effect), validated when built, and the timeline entry a transition
appends. No database: the case engine (app.cases.engine) fires them.

A case document carries `status`, `version` and an append-only `timeline`. A transition is
one compare-and-set write whose filter names the expected status and version, so of two
conflicting requests exactly one matches (the other gets 409), and a stale If-Match gets 412.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app import clock
from app.accounts.auth import Principal
from app.http.errors import Conflict, Forbidden


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (e.g. one review among several)
    roles: tuple[str, ...]
    duties: tuple[str, ...] = ()
    # What it does to the case's clock: "start", "pause", "resume", "stop", "exclude" or None;
    # each case type's `clock` function says what an effect writes.
    clock: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[str, ...]
    terminal: tuple[str, ...]
    transitions: tuple[Transition, ...]
    _index: dict[str, Transition] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for t in self.transitions:
            unknown = {*t.sources, *([t.target] if t.target else [])} - set(self.states)
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {unknown}")
            self._index[t.action] = t

    def transition(self, action: str) -> Transition:
        try:
            return self._index[action]
        except KeyError:
            raise ValueError(f"{self.name} has no action {action!r}") from None

    def allowed_from(self, status: str) -> list[str]:
        return [t.action for t in self.transitions if status in t.sources]

    def check(self, action: str, status: str, actor: Principal) -> Transition:
        """Pure rule check: may ACTOR fire ACTION on a case in STATUS? Raises 403 / 409."""
        t = self.transition(action)
        if actor.role not in t.roles:
            raise Forbidden(f"Your role may not {action.replace('_', ' ')}.")
        if t.duties and actor.role == "staff" and not set(t.duties) & set(actor.duties):
            raise Forbidden(
                f"{action.replace('_', ' ').capitalize()} needs the duty "
                + " or ".join(t.duties)
                + "."
            )
        if status not in t.sources:
            raise Conflict(
                f"Cannot {action.replace('_', ' ')} a case that is {status}.",
                errors={"status": [f"Expected one of {', '.join(t.sources)}."]},
            )
        return t


def timeline_entry(
    actor: Principal | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str | None = None,
    at: Any = None,
) -> dict[str, Any]:
    # Someone acting for another (app/accounts/acting.py): the entry names who acted, and
    # for whom.
    agent = actor.agent if actor is not None else None
    who = agent if agent is not None else actor
    entry = {
        "at": at or clock.now(),
        "actor": (
            {"id": who.id, "role": who.role, "name": who.name, "department": who.department}
            if who
            else {"id": None, "role": "system"}
        ),
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
    }
    if agent is not None and actor is not None:
        entry["on_behalf_of"] = {"id": actor.id, "role": actor.role, "name": actor.name}
    return entry


def states_reachable(machine: Machine, start: str) -> set[str]:
    """For tests and docs: every state reachable from START."""
    seen, frontier = {start}, [start]
    while frontier:
        status = frontier.pop()
        for t in machine.transitions:
            if status in t.sources and t.target and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    return seen


def describe(machine: Machine) -> Iterable[str]:
    for t in machine.transitions:
        yield (
            f"{t.action}: {'|'.join(t.sources)} -> {t.target or '(same)'} by "
            f"{'/'.join(t.roles)}{' [' + '/'.join(t.duties) + ']' if t.duties else ''}"
        )
