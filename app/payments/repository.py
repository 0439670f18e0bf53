"""Payments' queries: the payment each application carries (`applications.payment`, written in
the case's own document so a confirmation is atomic with the case) and the sandbox provider's
own order book (`payment_sandbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.client_session import ClientSession
from pymongo.collection import Collection

from app import clock, store
from app.db import collection


def applications() -> Collection[Any]:
    return collection("applications")


def by_payment_id(payment_id: str) -> dict[str, Any] | None:
    if not ObjectId.is_valid(payment_id) or len(payment_id) != 24:
        return None
    return applications().find_one({"payment_key": payment_id})


def confirm(
    case_id: ObjectId,
    payment_id: ObjectId,
    update: dict[str, Any],
    entries: list[dict[str, Any]],
) -> bool:
    """Mark the pending payment paid: a compare-and-set on the payment's status, so of two
    notifications racing exactly one wins."""
    return store.update(
        applications(),
        {"_id": case_id, "payment.id": payment_id, "payment.status": "pending"},
        update,
        entries,
    )


def refunded(
    case_id: ObjectId,
    payment_id: ObjectId,
    update: dict[str, Any],
    entries: list[dict[str, Any]],
    session: ClientSession,
) -> bool:
    return store.update(
        applications(),
        {"_id": case_id, "payment.id": payment_id, "payment.status": "paid"},
        update,
        entries,
        session,
    )


def paid_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    return list(
        applications().find(
            {"payment.paid_at": {"$gte": start, "$lt": end}},
            {"payment": 1, "tracking_no": 1, "department": 1, "region": 1},
        )
    )


def refunded_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    return list(
        applications().find(
            {"payment.refunded_at": {"$gte": start, "$lt": end}},
            {"payment": 1, "tracking_no": 1, "department": 1, "region": 1},
        )
    )


# ---------------------------------------------------------------- the sandbox's order book


def sandbox() -> Collection[Any]:
    return collection("payment_sandbox")


def sandbox_open(payment_id: str, amount: int, expires_at: datetime) -> None:
    sandbox().update_one(
        {"_id": payment_id},
        {
            "$setOnInsert": {
                "amount": amount,
                "status": "pending",
                "refunded": 0,
                "refunds": [],
                "created_at": clock.now(),
                "expires_at": expires_at,
            }
        },
        upsert=True,
    )


def sandbox_get(payment_id: str) -> dict[str, Any] | None:
    return sandbox().find_one({"_id": payment_id})


def sandbox_pay(payment_id: str) -> dict[str, Any] | None:
    """The order paid (once; an order already paid is answered as it is), or None if there is
    no such open order."""
    now = clock.now()
    sandbox().update_one(
        {"_id": payment_id, "status": "pending", "expires_at": {"$gt": now}},
        {"$set": {"status": "paid", "paid_at": now}},
    )
    doc = sandbox_get(payment_id)
    return doc if doc is not None and doc["status"] in ("paid", "refunded") else None


def sandbox_refund(payment_id: str, amount: int, refund_id: str) -> None:
    """Refund once per REFUND_ID (a repeated call changes nothing)."""
    sandbox().update_one(
        {"_id": payment_id, "refunds": {"$ne": refund_id}},
        {
            "$push": {"refunds": refund_id},
            "$inc": {"refunded": amount},
            "$set": {"status": "refunded"},
        },
    )
