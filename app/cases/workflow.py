"""The one state-machine mechanism: pure transition tables (who may fire what, from which
state) and the compare-and-set write every state change of a case goes through.

A case document carries `status`, `version` and an append-only `timeline`. A transition is
one `update_one` whose filter names the expected status and version, so of two conflicting
requests exactly one matches (the other gets 409), and a stale If-Match gets 412.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from app import audit, clock
from app.accounts.auth import Principal
from app.http.errors import Conflict, Forbidden, NotFound, PreconditionFailed


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the status does not change (e.g. one review among several)
    roles: tuple[str, ...]
    duties: tuple[str, ...] = ()
    clock: str | None = None  # "start", "pause", "resume", "stop" or None
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
    return {
        "at": at or clock.now(),
        "actor": (
            {"id": actor.id, "role": actor.role, "name": actor.name, "department": actor.department}
            if actor
            else {"id": None, "role": "system"}
        ),
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
    }


def apply(
    coll: Collection[Any],
    doc: dict[str, Any],
    machine: Machine,
    action: str,
    actor: Principal | None,
    *,
    expected_version: int | None = None,
    set_fields: dict[str, Any] | None = None,
    extra_update: dict[str, Any] | None = None,
    extra_filter: dict[str, Any] | None = None,
    target: str | None = None,
    note: str | None = None,
    subject_kind: str | None = None,
    audit_detail: dict[str, Any] | None = None,
    check: bool = True,
    status_field: str = "status",
) -> dict[str, Any]:
    """Fire ACTION on DOC (as read by the caller) with one compare-and-set write; returns the
    document as it is after the write. `target` overrides the table's target (e.g. a review
    that decides the case); `actor=None` is the system (sweeps), which skips role checks.
    `status_field` names the field holding the state (supervision events call it `state`)."""
    status = doc[status_field]
    transition = machine.transition(action)
    if check and actor is not None:
        machine.check(action, status, actor)
    elif status not in transition.sources:
        raise Conflict(f"Cannot {action} a case that is {status}.")
    if expected_version is not None and expected_version != doc["version"]:
        raise PreconditionFailed("The case changed since you read it; reload and retry.")
    new_status = target or transition.target or status
    now = clock.now()
    entry = timeline_entry(actor, action, status, new_status, note, at=now)
    update: dict[str, Any] = {
        "$set": {status_field: new_status, "updated_at": now, **(set_fields or {})},
        "$inc": {"version": 1},
        "$push": {"timeline": entry},
    }
    for op, values in (extra_update or {}).items():
        if op in update and isinstance(update[op], dict):
            update[op].update(values)
        else:
            update[op] = values
    filter_ = {
        "_id": doc["_id"],
        status_field: status,
        "version": doc["version"],
        **(extra_filter or {}),
    }
    result = coll.update_one(filter_, update)
    if result.modified_count != 1:
        raise Conflict("Someone else changed this case at the same moment; reload and retry.")
    after = coll.find_one({"_id": doc["_id"]})
    assert after is not None
    audit.record(
        f"{machine.name}.{action}",
        subject_kind or machine.name,
        doc["_id"],
        before={"status": status, "version": doc["version"]},
        after={"status": new_status, "version": after["version"]},
        detail=audit_detail,
    )
    return after


def load(
    coll: Collection[Any],
    case_id: str | ObjectId,
    visible: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Read a case for a transition; invisible and missing cases are the same 404."""
    try:
        oid = case_id if isinstance(case_id, ObjectId) else ObjectId(case_id)
    except Exception:
        raise NotFound() from None
    doc = coll.find_one({"_id": oid})
    if doc is None or (visible is not None and not visible(doc)):
        raise NotFound()
    return doc


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
