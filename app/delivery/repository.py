"""Delivery's queries: a posted result's shipment on its application (`applications.shipment`,
found by `shipment_key` = carrier|waybill_no)."""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from app import store
from app.db import collection


def by_waybill(carrier: str, waybill_no: str) -> dict[str, Any] | None:
    return collection("applications").find_one({"shipment_key": f"{carrier}|{waybill_no}"})


def add_event(
    case_id: ObjectId,
    version: int,
    event_id: str,
    update: dict[str, Any],
    entries: list[dict[str, Any]],
) -> bool:
    """Append a carrier's event once: a compare-and-set on the version, and never an event id
    the shipment holds already (two reports racing: one wins, the other is a replay)."""
    return store.update(
        collection("applications"),
        {"_id": case_id, "version": version, "shipment.events.id": {"$ne": event_id}},
        update,
        entries,
    )
