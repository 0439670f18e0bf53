"""Bundles (一件事一次办) without a database: the shape rules of a bundle definition (its
dependency graph must be acyclic, feeds come from items of the bundle), the bundle case's small
machine, how its status rolls up from its children, and who may read a bundle case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.accounts.auth import Principal
from app.cases.workflow import Machine, Transition
from app.http.errors import Conflict, Forbidden
from app.i18n import N_

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
PARTIALLY_COMPLETED = "partially_completed"
REJECTED = "rejected"
STATES = (IN_PROGRESS, COMPLETED, PARTIALLY_COMPLETED, REJECTED)
TERMINAL = (COMPLETED, PARTIALLY_COMPLETED, REJECTED)
APPLICANT_ROLES = ("resident", "enterprise")

# A child not filed yet: WAITING for the items it depends on; NOT_FILED when one of them
# closed without completing (it never will be filed). The others carry the application's status.
WAITING = "waiting"
NOT_FILED = "not_filed"
CHILD_DONE = "completed"
# Application states that end a child without its result.
CHILD_FAILED = ("rejected", "withdrawn", "terminated", NOT_FILED)

MACHINE = Machine(
    name="bundle_application",
    states=STATES,
    terminal=TERMINAL,
    transitions=(
        Transition(
            "child_closed",
            (IN_PROGRESS,),
            None,
            ("system",),
            description="the worker records a child application that closed, and files the "
            "children waiting for it",
        ),
        Transition(
            "close",
            (IN_PROGRESS,),
            COMPLETED,
            ("system",),
            description="the last child closed: completed, partially_completed or rejected",
        ),
    ),
)


def check(
    action: str, actor: Principal | None, case: Mapping[str, Any], context: Mapping[str, Any]
) -> Transition:
    """Only the system (the worker, from the children's outbox) moves a bundle case."""
    if actor is not None:
        raise Forbidden(N_("A bundle application moves only with its children."))
    transition = MACHINE.transition(action)
    if case["status"] not in transition.sources:
        raise Conflict(N_("This bundle application is closed."))
    return transition


def dependency_cycle(items: Iterable[Mapping[str, Any]]) -> list[str] | None:
    """The codes of one cycle in the items' depends_on graph (feeds included), or None."""
    graph = {item["matter_code"]: list(requires(item)) for item in items}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(code: str) -> list[str] | None:
        state[code] = 1
        path.append(code)
        for dep in graph.get(code, ()):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[code] = 2
        return None

    for code in graph:
        if code not in state:
            found = visit(code)
            if found:
                return found
    return None


def requires(item: Mapping[str, Any]) -> list[str]:
    """The items ITEM waits for: its depends_on and the items that feed it."""
    feeding = [feed["from_matter"] for feed in item.get("feeds") or []]
    return list(dict.fromkeys([*(item.get("depends_on") or []), *feeding]))


def roll_up(statuses: Iterable[str]) -> str:
    """A bundle's status from its children's: in progress until every child is terminal."""
    statuses = list(statuses)
    if any(s not in (CHILD_DONE, *CHILD_FAILED) for s in statuses):
        return IN_PROGRESS
    done = sum(1 for s in statuses if s == CHILD_DONE)
    if done == len(statuses):
        return COMPLETED
    return PARTIALLY_COMPLETED if done else REJECTED


def ready(children: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(children to file now: every item they wait for completed; children never to be filed:
    an item they wait for failed), by matter code, cascading through the graph."""
    status = {c["matter_code"]: c["status"] for c in children}
    changed = True
    never: list[str] = []
    while changed:
        changed = False
        for child in children:
            code = child["matter_code"]
            if status[code] != WAITING:
                continue
            if any(status.get(dep) in CHILD_FAILED for dep in child["requires"]):
                status[code] = NOT_FILED
                never.append(code)
                changed = True
    now = [
        c["matter_code"]
        for c in children
        if status[c["matter_code"]] == WAITING
        and all(status.get(dep) == CHILD_DONE for dep in c["requires"])
    ]
    return now, never


def is_owner(actor: Principal, case: Mapping[str, Any]) -> bool:
    return (
        actor.role in APPLICANT_ROLES
        and str(case["applicant_id"]) == actor.id
        and (actor.matters is None or all(actor.may_handle_matter(c) for c in case["codes"]))
    )


def may_read(actor: Principal, case: Mapping[str, Any]) -> bool:
    """Owner; staff of a department involved in any child; supervisors of the region."""
    if actor.role in APPLICANT_ROLES:
        return is_owner(actor, case)
    if actor.role == "staff":
        return actor.department is not None and actor.department in case.get("departments", [])
    if actor.role == "supervisor":
        return actor.region is not None and actor.region in case.get("region_path", [])
    return False
