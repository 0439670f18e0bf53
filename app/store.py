"""The one write path of a command: one document written, with its side effects queued in its
outbox (app.outbox) and, for a creating request, its Idempotency-Key stamped on it
(app.http.idempotency). Repositories call these; nothing else writes a command's document.
A document an inbox lists also queues the refresh of its slim copy (app.cases.inbox_items)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from app import clock, outbox
from app.cases import inbox_items
from app.http import idempotency


def insert(
    coll: Collection[Any],
    doc: dict[str, Any],
    entries: list[dict[str, Any]],
    session: ClientSession | None = None,
    stamp_key: bool = True,
) -> dict:
    """Insert DOC with ENTRIES queued. A retry of the request that created it (same
    Idempotency-Key) gets the document its first run created instead of a second one. In
    SESSION's transaction a duplicate key aborts the transaction: the caller answers it.
    STAMP_KEY=False leaves the key off (a document filed beside the request's own one)."""
    if stamp_key:
        doc.update(idempotency.stamp_fields())
    entries = entries + inbox_items.entries_for(coll.name)
    doc.update(outbox.fields_for_insert(entries, clock.now()))
    try:
        coll.insert_one(doc, session=session)
    except DuplicateKeyError:
        if session is not None:
            raise
        stamp = idempotency.current()
        earlier = coll.find_one({idempotency.FIELD_KEY: stamp.key}) if stamp else None
        if earlier is None:
            raise
        return idempotency.replay(earlier)
    return doc


def update(
    coll: Collection[Any],
    filter_: dict[str, Any],
    update_: dict[str, Any],
    entries: list[dict[str, Any]],
    session: ClientSession | None = None,
    upsert: bool = False,
) -> bool:
    """One compare-and-set write of FILTER_ with UPDATE_ and ENTRIES queued; True if it matched
    (or, with UPSERT, created the document)."""
    entries = entries + inbox_items.entries_for(coll.name)
    merged = outbox.merge_update(update_, outbox.update_for(entries, clock.now()))
    result = coll.update_one(filter_, merged, session=session, upsert=upsert)
    return result.modified_count == 1 or result.upserted_id is not None


def in_transaction(work: Callable[[ClientSession], Any]) -> Any:
    """For the few commands whose change is more than one document (revoking a token family
    with the account's audit record): WORK in one multi-document transaction."""
    from app import outbox_repository

    return outbox_repository.in_transaction(work)
