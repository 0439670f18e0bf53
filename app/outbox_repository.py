"""The relay's queries over the outbox fields of any outbox-carrying collection, and the one
place that runs a multi-document transaction (the worker's, never a request's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.client_session import ClientSession
from pymongo.errors import DuplicateKeyError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from app.db import EPOCH, collection, get_client

PENDING_FIELDS = {"outbox": 1, "outbox_n": 1, "outbox_since": 1}
# The epoch (app.db.EPOCH): a released lease ends then (free whatever the clock says: tests
# freeze it), and every queued entry is later (a range from it reads the whole outbox_pending
# index).
RELEASED = EPOCH


QUEUED = {"outbox_since": {"$gte": RELEASED}}


def pending_in(names: list[str], limit: int) -> dict[str, list[dict[str, Any]]]:
    """Per collection of NAMES with entries queued (in NAMES' order), up to LIMIT of its
    documents, oldest first:
    one range of each collection's outbox_pending index (a relay's idle pass asks every
    outbox-carrying collection).

    One find per collection, not one aggregate joining them by $unionWith: the embedded
    server reads every document of each collection a $unionWith names before it matches, so
    an idle pass over 20 collections cost 1.3 s with 60 k documents in one of them (and grew
    with it), against ~15 ms for the 20 index ranges at any size (docs/benchmarks.md)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        docs = list(
            collection(name).find(QUEUED, PENDING_FIELDS).sort("outbox_since", 1).limit(limit)
        )
        if docs:
            found[name] = docs
    return found


def oldest_in(names: list[str]) -> dict[str, datetime]:
    """Per collection of NAMES with entries queued, when its oldest was queued (the first
    entry of each one's index range, as in pending_in)."""
    return {name: docs[0]["outbox_since"] for name, docs in pending_in(names, 1).items()}


def waiting(name: str) -> int:
    """How many documents of NAME have entries queued (the same index range)."""
    return collection(name).count_documents(QUEUED)


def clear(name: str, docs: list[dict[str, Any]], session: ClientSession) -> None:
    """Remove the entries the relay read from DOCS. A document that queued more entries since
    (its `outbox_n` moved) loses only the entries read; the others stay for the next pass."""
    ops: list[UpdateOne] = []
    for doc in docs:
        ids = [item["id"] for item in doc["outbox"]]
        ops.append(
            UpdateOne(
                {"_id": doc["_id"], "outbox_n": {"$ne": doc["outbox_n"]}},
                {"$pull": {"outbox": {"id": {"$in": ids}}}},
            )
        )
        ops.append(
            UpdateOne(
                {"_id": doc["_id"], "outbox_n": doc["outbox_n"]},
                {"$unset": {"outbox": "", "outbox_since": "", "outbox_n": ""}},
            )
        )
    collection(name).bulk_write(ops, ordered=True, session=session)


LEASE = "relay"


def take_lease(holder: str, now: datetime, until: datetime) -> bool:
    """Become the one relay for a while (a compare-and-set on one document, outside any
    transaction): two relays never apply the same entries, whatever isolation the server's
    transactions give."""
    taken = collection("outbox_lease").update_one(
        {"_id": LEASE, "until": {"$lt": now}}, {"$set": {"holder": holder, "until": until}}
    )
    if taken.modified_count == 1:
        return True
    try:
        collection("outbox_lease").insert_one({"_id": LEASE, "holder": holder, "until": until})
    except DuplicateKeyError:
        return False
    return True


def release_lease(holder: str) -> None:
    collection("outbox_lease").update_one(
        {"_id": LEASE, "holder": holder}, {"$set": {"until": RELEASED}}
    )


def in_transaction(work: Callable[[ClientSession], Any]) -> Any:
    """Run WORK in one multi-document transaction (majority write concern), retried on
    TransientTransactionError and UnknownTransactionCommitResult as the driver documents."""
    with get_client().start_session() as session:
        return session.with_transaction(
            work,
            read_concern=ReadConcern("snapshot"),
            write_concern=WriteConcern("majority"),
        )
