"""`inbox_items`: a slim copy of every case a staff inbox lists, which the inbox reads in place
of the cases.

An inbox page shows twenty cases out of queues that hold thousands. The embedded server
decodes every document an index range matches in full (timeline, materials, form answers)
before it sorts or projects, so reading the cases themselves costs about fifty single-case
reads a page (docs/benchmarks.md, "The staff inbox at the floor"). A copy holds only what an
inbox item shows, the case's queues (`inbox_keys`) and its position in them (`inbox_at`),
under the case's own `_id`: the inbox's query, index, windows and cursor stay the same, on
documents a fraction of the size.

Every write of a listed case through app.store queues an `inbox_item` entry in the case's
own outbox (`entries_for`), and the relay rewrites the copy from the case as it then is, in
its transaction: the copy follows the case within the relay's delay, whatever the write
changed (a transition, a payment, a visit), and a replay rewrites the same copy. A case in
no queue has no copy. Each refresh renews the stamp of every queue the copy was or is in
(`inbox_heads.renew`), under which readers keep pages (app.page_cache). `rebuild` makes
every copy anew (`flask inbox rebuild`: after restoring a backup, or when a case type's item
shows more fields). Writes that bypass app.store (an erasure's anonymisation) change the
copy beside the case themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from pymongo import DeleteOne, ReplaceOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import outbox
from app.cases import inbox_heads
from app.db import collection

ENTRY = "inbox_item"
REBUILD_BATCH = 500


@dataclass(frozen=True)
class Listed:
    """Cases of COLLECTION_NAME appear in inboxes: QUEUES(case) gives the queues a case is
    filed under with its position (one position for all of them), VIEW(case) the fields an
    inbox item of it shows."""

    collection_name: str
    queues: Callable[[Mapping[str, Any]], dict[str, Any]]
    view: Callable[[Mapping[str, Any]], dict[str, Any]]


_LISTED: dict[str, Listed] = {}


def register(listed: Listed) -> None:
    _LISTED[listed.collection_name] = listed


def coll() -> Collection[Any]:
    return collection("inbox_items")


def entries_for(collection_name: str) -> list[dict[str, Any]]:
    """The outbox entry that refreshes the copy of the case a write of COLLECTION_NAME
    changes (none for collections no inbox lists)."""
    return [outbox.entry(ENTRY)] if collection_name in _LISTED else []


def copy_of(listed: Listed, case: Mapping[str, Any]) -> dict[str, Any] | None:
    """The copy an inbox reads of CASE, or None when it is in no queue."""
    queues = listed.queues(case)
    if not queues:
        return None
    positions = set(queues.values())
    if len(positions) != 1:
        raise ValueError(f"a case sits at one position in all its queues, not {positions}")
    return {
        **listed.view(case),
        "_id": case["_id"],
        "case_collection": listed.collection_name,
        "inbox_keys": list(queues),
        "inbox_at": positions.pop(),
    }


def copies_of(collection_name: str, cases: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The copies of those of CASES (of COLLECTION_NAME) in a queue: for cases written
    straight into the database (bench.scale's bulk seeding)."""
    listed = _LISTED[collection_name]
    return [copy for case in cases if (copy := copy_of(listed, case)) is not None]


@outbox.applier(ENTRY)
def _refresh(pending: list[outbox.Pending], session: ClientSession) -> None:
    ids: dict[str, set[Any]] = {}
    for item in pending:
        ids.setdefault(item.collection, set()).add(item.doc_id)
    ops: list[Any] = []
    touched: set[str] = set()
    for name, case_ids in ids.items():
        listed = _LISTED[name]
        wanted = {"_id": {"$in": list(case_ids)}}
        for old in coll().find(wanted, {"inbox_keys": 1}, session=session):
            touched.update(old["inbox_keys"])
        found = {doc["_id"]: doc for doc in collection(name).find(wanted, session=session)}
        for case_id in case_ids:
            copy = copy_of(listed, found[case_id]) if case_id in found else None
            if copy is None:
                ops.append(DeleteOne({"_id": case_id}))
            else:
                touched.update(copy["inbox_keys"])
                ops.append(ReplaceOne({"_id": case_id}, copy, upsert=True))
    if ops:
        coll().bulk_write(ops, ordered=False, session=session)
    # The queues these copies left or are in list something else now.
    inbox_heads.renew(touched, session)


def anonymise(applicant_id: ObjectId, fields: dict[str, Any], session: ClientSession) -> None:
    """An erasure's anonymisation of the person's cases (FIELDS, e.g. `applicant.name`),
    applied to their copies too: it is written beside the cases, not through app.store."""
    keys: set[str] = set()
    for copy in coll().find({"applicant_id": applicant_id}, {"inbox_keys": 1}, session=session):
        keys.update(copy["inbox_keys"])
    coll().update_many({"applicant_id": applicant_id}, {"$set": fields}, session=session)
    inbox_heads.renew(keys, session)


def rebuild() -> int:
    """Every copy made anew from the cases, and copies of cases no longer listed removed.
    Returns how many cases are listed."""
    listed_now = 0
    for listed in _LISTED.values():
        run = ObjectId()
        batch: list[Any] = []
        for case in collection(listed.collection_name).find({}):
            copy = copy_of(listed, case)
            if copy is None:
                continue
            batch.append(ReplaceOne({"_id": case["_id"]}, {**copy, "rebuilt_by": run}, upsert=True))
            listed_now += 1
            if len(batch) >= REBUILD_BATCH:
                coll().bulk_write(batch, ordered=False)
                batch = []
        if batch:
            coll().bulk_write(batch, ordered=False)
        coll().delete_many({"case_collection": listed.collection_name, "rebuilt_by": {"$ne": run}})
    inbox_heads.renew_all()
    return listed_now
