"""The append-only audit log (`audit`), its chain heads (`audit_heads`) and its signed daily
digests (`audit_digests`): the only code that queries them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.client_session import ClientSession

from app.db import collection
from app.pagination import Page, Windows, paginate

SEALED_MARK = "_sealed_through"


def insert_records(records: list[dict[str, Any]], session: ClientSession) -> None:
    collection("audit").insert_many(records, ordered=True, session=session)


def heads(chains: list[str], session: ClientSession | None = None) -> dict[str, dict[str, Any]]:
    found = collection("audit_heads").find({"_id": {"$in": chains}}, session=session)
    return {doc["_id"]: doc for doc in found}


def save_heads(new_heads: dict[str, dict[str, Any]], session: ClientSession) -> None:
    collection("audit_heads").bulk_write(
        [
            UpdateOne({"_id": chain}, {"$set": head}, upsert=True)
            for chain, head in new_heads.items()
        ],
        ordered=False,
        session=session,
    )


def head(chain: str) -> dict[str, Any] | None:
    return collection("audit_heads").find_one({"_id": chain})


def all_heads() -> Iterator[dict[str, Any]]:
    return collection("audit_heads").find({})


def record_at(chain: str, seq: int) -> dict[str, Any] | None:
    return collection("audit").find_one({"chain": chain, "seq": seq})


def records_by_chain(since: datetime | None) -> Iterator[dict[str, Any]]:
    """Every record (from SINCE on) in chain order (index chain_seq)."""
    query: dict[str, Any] = {"recorded_at": {"$gte": since}} if since else {}
    return collection("audit").find(query).sort([("chain", ASCENDING), ("seq", ASCENDING)])


def records_between(start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """The records of one day, in id order (index recorded_at)."""
    return (
        collection("audit")
        .find({"recorded_at": {"$gte": start, "$lt": end}}, {"hash": 1})
        .sort("_id", ASCENDING)
    )


def first_unsealed_day() -> str | None:
    """The first day after the last sealed one that has records (None: no records yet)."""
    mark = collection("audit_digests").find_one({"_id": SEALED_MARK})
    query: dict[str, Any] = {}
    if mark:
        query["recorded_at"] = {"$gte": mark["next_start"]}
    first = collection("audit").find_one(query, {"recorded_at": 1}, sort=[("recorded_at", 1)])
    return first["recorded_at"].strftime("%Y-%m-%d") if first else None


def set_sealed_through(day: str) -> None:
    from datetime import UTC, timedelta

    next_start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
    collection("audit_digests").update_one(
        {"_id": SEALED_MARK}, {"$set": {"day": day, "next_start": next_start}}, upsert=True
    )


def save_digest(digest: dict[str, Any]) -> None:
    collection("audit_digests").replace_one({"_id": digest["_id"]}, digest, upsert=True)


def digests(since_day: str | None) -> Iterator[dict[str, Any]]:
    query: dict[str, Any] = {"_id": {"$ne": SEALED_MARK}}
    if since_day:
        query["_id"] = {"$ne": SEALED_MARK, "$gte": since_day}
    return collection("audit_digests").find(query).sort("_id", ASCENDING)


def page(
    actor: str | None,
    subject: str | None,
    action: str | None,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> Page:
    """Newest first. The log grows with every write, so it is read in windows back from NOW
    (app.pagination): a page costs about its size, not the log's."""
    query: dict[str, Any] = {}
    if actor:
        query["actor.id"] = actor
    if subject:
        query["subject.id"] = subject
    if action:
        query["action"] = action
    return paginate(collection("audit"), query, limit=limit, cursor=cursor, windows=Windows(now))


def for_subject(subject_id: str) -> list[dict[str, Any]]:
    return list(collection("audit").find({"subject.id": subject_id}).sort("_id", 1))
