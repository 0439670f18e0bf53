"""The one case engine: every transition of every case type is fired here.

`fire(kind, case_id, action, actor, ...)` does load → rules → clock effect → compare-and-set
→ timeline → audit → outbox, as ONE document write (app.store.update): the case's new status,
version and timeline entry, its audit record and an outbox entry per side effect land
together or not at all. A compare-and-set lost to a concurrent change (another department's
decision, a visit) is retried on a fresh read when the client did not pin a version with
If-Match; the rules then run again, so a transition the new state no longer allows (the other
accept won) is the 409 it should be.

A case type (`CaseType`) declares its machine, its authorization rules (one `check` function
over role, duty, relation to the case and state: pure, tested without a database), its clock
effects (`clock`: what each declared effect writes) and the fields derived from the case's
state (`derive`: e.g. the inbox keys). Applications, complaints and supervision events are
case types; so is every later one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import audit, clock, outbox, store
from app.accounts.auth import Principal
from app.cases import inbox_heads, inbox_items
from app.cases import repository as repo
from app.cases.workflow import Machine, Transition, timeline_entry
from app.http import idempotency
from app.http.errors import Conflict, NotFound, PreconditionFailed

RETRIES = 3
_UNSET: Any = object()

Check = Callable[[str, Principal | None, Mapping[str, Any], Mapping[str, Any]], Transition]


@dataclass(frozen=True)
class CaseType:
    kind: str
    collection: str
    machine: Machine
    check: Check
    visible: Callable[[Principal, Mapping[str, Any]], bool]
    clock: Callable[[str | None, Mapping[str, Any], datetime], dict[str, Any]] = (
        lambda effect, case, now: {}
    )
    derive: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda case: {}
    # The work queues a case in this state is filed under, with its position in each (the
    # inbox heads learn of a case entering a queue from the command's outbox).
    queues: Callable[[Mapping[str, Any]], dict[str, Any]] = lambda case: {}
    # What an inbox item of a case shows: given, the inboxes read slim copies of the cases
    # in a queue (app.cases.inbox_items) instead of the cases.
    inbox_view: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None
    status_field: str = "status"


@dataclass
class Change:
    """What one firing does beyond the machine's own status change."""

    set: dict[str, Any] = field(default_factory=dict)
    push: dict[str, Any] = field(default_factory=dict)
    inc: dict[str, Any] = field(default_factory=dict)
    filter: dict[str, Any] = field(default_factory=dict)
    target: str | None = None  # overrides the machine's target (a review that decides)
    clock: Any = _UNSET  # overrides the transition's declared clock effect
    note: str | None = None
    audit_detail: dict[str, Any] | None = None
    # Side effects, built from the case as it will be after the write (outbox entries).
    effects: Callable[[dict[str, Any]], list[dict[str, Any]]] | None = None
    # Nothing to do (e.g. a mediator taking a case they hold): answer with the case as it is.
    noop: bool = False


_TYPES: dict[str, CaseType] = {}


def register(case_type: CaseType) -> CaseType:
    _TYPES[case_type.kind] = case_type
    outbox.carried_by(case_type.collection)
    if case_type.inbox_view is not None:
        inbox_items.register(
            inbox_items.Listed(case_type.collection, case_type.queues, case_type.inbox_view)
        )
    return case_type


def case_type(kind: str) -> CaseType:
    return _TYPES[kind]


def load(kind: str, case_id: Any, actor: Principal | None) -> dict[str, Any]:
    """The case if ACTOR may see it (None: the system); missing and invisible are one 404."""
    ct = _TYPES[kind]
    oid = as_object_id(case_id)
    doc = repo.get_in(ct.collection, oid) if oid is not None else None
    if doc is None or (actor is not None and not ct.visible(actor, doc)):
        raise NotFound()
    return doc


def as_object_id(value: Any) -> ObjectId | None:
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value):
        return ObjectId(value)
    return None


def create(
    kind: str,
    doc: dict[str, Any],
    *,
    audit_after: Any = None,
    audit_detail: dict[str, Any] | None = None,
    effects: list[dict[str, Any]] | None = None,
    session: ClientSession | None = None,
    stamp: bool = True,
) -> dict[str, Any]:
    """File a new case DOC (its first timeline entry already in it) in one write, with its
    audit record and EFFECTS queued in its outbox; a retry under the same Idempotency-Key
    answers with the case its first run filed. STAMP=False: a case filed beside another in one
    request (a bundle's children) does not carry the request's Idempotency-Key."""
    ct = _TYPES[kind]
    doc.update(ct.derive(doc))
    entries = [
        audit.entry(
            f"{ct.machine.name}.submit",
            ct.kind,
            doc["_id"],
            after=audit_after,
            detail=audit_detail,
        ),
        *(effects or []),
        *inbox_heads.entered(None, doc, ct.queues),
    ]
    return store.insert(repo.collection_of(ct.collection), doc, entries, session, stamp_key=stamp)


def fire(
    kind: str,
    case_id: Any,
    action: str,
    actor: Principal | None,
    *,
    change: Callable[[dict[str, Any]], Change] | None = None,
    expected_version: int | None = None,
    context: Mapping[str, Any] | None = None,
    case: dict[str, Any] | None = None,
    session: ClientSession | None = None,
) -> dict[str, Any]:
    """Fire ACTION on the case as ACTOR (None: the system, e.g. a sweep) and return the case as
    it is after the one write. CHANGE builds the action's own fields from the case as read;
    it runs again on every retry. SESSION: the write joins that transaction (an outbox
    applier firing a transition; pass the CASE read in the same session)."""
    ct = _TYPES[kind]
    for remaining in range(RETRIES, 0, -1):
        doc = case if case is not None else load(kind, case_id, actor)
        case = None
        if _fired_by_this_request(doc):
            return doc
        if expected_version is not None and expected_version != doc["version"]:
            raise PreconditionFailed("The case changed since you read it; reload and retry.")
        transition = ct.check(action, actor, doc, context or {})
        what = change(doc) if change else Change()
        if what.noop:
            return doc
        after, update, filter_, entries = _plan(ct, transition, doc, actor, what)
        if store.update(repo.collection_of(ct.collection), filter_, update, entries, session):
            return after
        if expected_version is not None:
            raise Conflict("Someone else changed this case at the same moment; reload and retry.")
        current = repo.get_in(ct.collection, doc["_id"])
        if current is None or current["version"] == doc["version"] or remaining == 1:
            raise Conflict("Someone else changed this case at the same moment; reload and retry.")
    raise AssertionError("unreachable")


def _fired_by_this_request(doc: Mapping[str, Any]) -> bool:
    """A retry (same Idempotency-Key) of a command that went through: its timeline entry
    carries the key, so the retry answers with the case instead of firing again."""
    stamp = idempotency.current()
    if stamp is None:
        return False
    for entry in reversed(doc.get("timeline") or []):
        if entry.get(idempotency.FIELD_KEY) == stamp.key:
            idempotency.replay(entry)
            return True
    return False


def _plan(
    ct: CaseType,
    transition: Transition,
    doc: dict[str, Any],
    actor: Principal | None,
    what: Change,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    status_field = ct.status_field
    status = doc[status_field]
    new_status = what.target or transition.target or status
    now = clock.now()
    effect = transition.clock if what.clock is _UNSET else what.clock
    fields = {**ct.clock(effect, doc, now), **what.set}
    prospective = {**doc, **fields, status_field: new_status}
    fields.update(ct.derive(prospective))
    entry = timeline_entry(actor, transition.action, status, new_status, what.note, at=now)
    entry.update(idempotency.stamp_fields())
    update: dict[str, Any] = {
        "$set": {status_field: new_status, "updated_at": now, **fields},
        "$inc": {"version": 1, **what.inc},
        "$push": {"timeline": entry, **what.push},
    }
    after = apply_locally(doc, update)
    entries = [
        audit.entry(
            f"{ct.machine.name}.{transition.action}",
            ct.kind,
            doc["_id"],
            before={status_field: status, "version": doc["version"]},
            after={status_field: new_status, "version": after["version"]},
            detail=what.audit_detail,
        )
    ]
    if what.effects is not None:
        entries += what.effects(after)
    entries += inbox_heads.entered(doc, after, ct.queues)
    filter_ = {"_id": doc["_id"], status_field: status, "version": doc["version"], **what.filter}
    return after, update, filter_, entries


def apply_locally(doc: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """DOC as UPDATE ($set, $inc, $push, $unset) leaves it: the engine answers with the case
    as written without reading it back."""
    after = _copy(doc)
    for name, value in update.get("$set", {}).items():
        parent, leaf = _walk(after, name)
        parent[leaf] = value
    for name, value in update.get("$inc", {}).items():
        parent, leaf = _walk(after, name)
        parent[leaf] = (parent.get(leaf) or 0) + value
    for name, value in update.get("$push", {}).items():
        parent, leaf = _walk(after, name)
        items = value["$each"] if isinstance(value, dict) and "$each" in value else [value]
        parent[leaf] = [*(parent.get(leaf) or []), *items]
    for name in update.get("$unset", {}):
        parent, leaf = _walk(after, name)
        parent.pop(leaf, None)
    return after


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _walk(doc: dict[str, Any], dotted: str) -> tuple[dict[str, Any], str]:
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    return node, parts[-1]
