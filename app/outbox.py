"""The transactional outbox: side effects of a command travel inside the command's own write.

A command (a submission, a transition, an admin change) writes exactly one document. Beside
its own fields that write appends the command's side effects to the document's `outbox`
array — its audit record, KPI increments, notifications, supervision events, the certificate
it issues — and so they land together with the change or not at all (MongoDB's
single-document atomicity; no multi-document transaction on the request path, and no hot
document such as a department's daily counter is ever written by a request).

The worker's relay (`relay`) finds documents with pending entries (index `outbox_pending` on
`outbox_since`), applies each entry type in batches through the applier registered for it,
and removes the entries it applied — the side effects and their removal in one multi-document
transaction, so each entry is applied exactly once even when a worker dies half-way.

Document fields: `outbox` (the pending entries, in order), `outbox_since` (when the oldest
pending entry was queued; its age is the relay's lag) and `outbox_n` (how many entries were
ever queued, so a clear never drops an entry queued after the relay read the document).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession

from app import clock
from app import outbox_repository as repo

log = logging.getLogger("onevisit.outbox")

# How long a relay may hold the lease before another may take over (a dead worker's).
LEASE = timedelta(seconds=60)
Applier = Callable[[list["Pending"], ClientSession], None]
_APPLIERS: dict[str, Applier] = {}
# Collections whose documents carry an outbox (the relay visits each).
COLLECTIONS: list[str] = []


@dataclass(frozen=True)
class Pending:
    """One queued entry as the relay hands it to its applier: the entry and its document."""

    collection: str
    doc_id: Any
    entry: dict[str, Any]


def entry(entry_type: str, **payload: Any) -> dict[str, Any]:
    """A side effect to queue in a command's write. Its `id` is unique and fixed at the
    command, so an applier can use it as the key of what it writes (applied once)."""
    if entry_type not in _APPLIERS:
        raise ValueError(f"no applier for outbox entries of type {entry_type!r}")
    return {"id": str(ObjectId()), "type": entry_type, "queued_at": clock.now(), **payload}


def applier(entry_type: str) -> Callable[[Applier], Applier]:
    """Register the function that applies a batch of ENTRY_TYPE entries inside the relay's
    transaction (it must use the session for every write)."""

    def register(func: Applier) -> Applier:
        _APPLIERS[entry_type] = func
        return func

    return register


def carried_by(*collections: str) -> None:
    """Declare collections whose documents carry an outbox (the relay reads them)."""
    for name in collections:
        if name not in COLLECTIONS:
            COLLECTIONS.append(name)


def fields_for_insert(entries: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The outbox fields of a document inserted with ENTRIES pending."""
    if not entries:
        return {}
    return {"outbox": list(entries), "outbox_since": now, "outbox_n": len(entries)}


def update_for(entries: list[dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
    """The update operators that queue ENTRIES in an existing document's write."""
    if not entries:
        return {}
    return {
        "$push": {"outbox": {"$each": list(entries)}},
        "$min": {"outbox_since": now},
        "$inc": {"outbox_n": len(entries)},
    }


def merge_update(update: dict[str, Any], extra: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """UPDATE with the operators of EXTRA added (field by field; a field in both is an error)."""
    merged = {op: dict(values) for op, values in update.items()}
    for op, values in extra.items():
        target = merged.setdefault(op, {})
        for name, value in values.items():
            if name in target:
                raise ValueError(f"{op} {name} is set twice in one update")
            target[name] = value
    return merged


def _lease_window() -> tuple[datetime, datetime]:
    """Now and the lease's end, on the real clock (a lease is about processes, not about the
    domain's time, which tests freeze)."""
    now = datetime.now(UTC)
    return now, now + LEASE


def apply_now(entries: list[dict[str, Any]], wait: float = 30.0) -> None:
    """Apply ENTRIES at once in one transaction, outside any document's outbox: for work that
    is not a request's command (demo data, tests). It waits for the relay's lease, so it never
    writes beside a relay."""

    def work(session: ClientSession) -> None:
        pending = [Pending("", None, item) for item in entries]
        for entry_type, group in _by_type(pending):
            _APPLIERS[entry_type](group, session)

    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:now"
    deadline = time.monotonic() + wait
    while not repo.take_lease(holder, *_lease_window()):
        if time.monotonic() > deadline:
            raise RuntimeError("the outbox relay's lease was not released")
        time.sleep(0.02)
    try:
        repo.in_transaction(work)
    finally:
        repo.release_lease(holder)


@dataclass
class RelayReport:
    applied: int = 0
    documents: int = 0
    full: int = 0
    busy: int = 0  # another relay held the lease

    def as_dict(self) -> dict[str, int]:
        return {
            "applied": self.applied,
            "documents": self.documents,
            "full": self.full,
            "busy": self.busy,
        }


def relay(
    batch: int,
    should_stop: Callable[[], bool] = lambda: False,
    among: Iterable[str] | None = None,
) -> dict[str, int]:
    """Apply up to BATCH documents' pending entries per outbox collection, each collection's
    batch in one transaction. One relay at a time holds the lease (workers take turns; a
    dead relay's lease runs out after LEASE): the relay is the only writer of the audit chains
    and the counters, so nothing it writes can fork. Commands never wait for it.

    An idle pass only reads: it looks for queued entries before it takes the lease (two
    durable writes), and under the lease reads again the collections it found busy. AMONG
    narrows the look to those collections (a caller that already knows where entries wait:
    the test suite's drain, after each request); the worker looks in all of them."""
    report = RelayReport()
    wanted = set(COLLECTIONS if among is None else among)
    names = [name for name in COLLECTIONS if name in wanted]
    queued = list(repo.pending_in(names, 1))  # in COLLECTIONS' order
    if not queued:
        return report.as_dict()
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    if not repo.take_lease(holder, *_lease_window()):
        report.busy = 1
        return report.as_dict()
    try:
        _relay_collections(queued, batch, should_stop, report)
    finally:
        repo.release_lease(holder)
    if report.applied:
        log.info("outbox relayed", extra=report.as_dict())
    return report.as_dict()


def _relay_collections(
    names: list[str], batch: int, should_stop: Callable[[], bool], report: RelayReport
) -> None:
    waiting = repo.pending_in(names, batch)
    for name in names:
        if should_stop():
            break
        docs = waiting.get(name)
        if not docs:
            continue
        if len(docs) >= batch:
            report.full = 1
        pending = [Pending(name, doc["_id"], item) for doc in docs for item in doc["outbox"]]

        def apply_all(session: ClientSession, docs=docs, pending=pending, name=name) -> None:
            for entry_type, group in _by_type(pending):
                _APPLIERS[entry_type](group, session)
            repo.clear(name, docs, session)

        repo.in_transaction(apply_all)
        report.applied += len(pending)
        report.documents += len(docs)


def _by_type(pending: Iterable[Pending]) -> list[tuple[str, list[Pending]]]:
    """Entries grouped by type in the order each type first appears (within a type, in queue
    order: an audit chain relies on it)."""
    groups: dict[str, list[Pending]] = {}
    for item in pending:
        groups.setdefault(item.entry["type"], []).append(item)
    unknown = set(groups) - set(_APPLIERS)
    if unknown:
        raise RuntimeError(f"outbox entries of unknown types: {sorted(unknown)}")
    return list(groups.items())


def backlog(now: datetime | None = None, count: bool = False) -> dict[str, Any]:
    """How far the relay is behind: the oldest entry's age, per collection and overall (for
    /readyz and the worker's log), and with COUNT the documents waiting (for /metrics)."""
    now = now or clock.now()
    per: dict[str, Any] = {}
    oldest: datetime | None = None
    for name, first in repo.oldest_in(COLLECTIONS).items():
        per[name] = {"oldest_age_seconds": round((now - first).total_seconds(), 3)}
        if count:
            per[name]["documents"] = repo.waiting(name)
        oldest = first if oldest is None or first < oldest else oldest
    return {
        "oldest_age_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "collections": per,
    }
