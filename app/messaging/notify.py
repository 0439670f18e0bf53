"""Notifications to the people who must act: one inbox item per user, plus a push copy in
the delivery outbox for each registered device (sent by the background worker)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from flask import current_app

from app import clock
from app.db import collection


def notify(
    user_id: ObjectId | str,
    kind: str,
    title: str,
    body: str,
    *,
    subject: dict[str, Any] | None = None,
) -> ObjectId:
    """Put a notification into USER_ID's inbox and queue its push copies. Returns its id."""
    uid = user_id if isinstance(user_id, ObjectId) else ObjectId(user_id)
    now = clock.now()
    retention = current_app.extensions["settings"].rules.notification_retention_days
    notification_id = ObjectId()
    doc = {
        "_id": notification_id,
        "user_id": uid,
        "kind": kind,
        "title": title[:200],
        "body": body[:2000],
        "subject": subject,
        "read_at": None,
        "created_at": now,
        "expires_at": now + timedelta(days=retention),
    }
    collection("notifications").insert_one(doc)
    user = collection("users").find_one({"_id": uid}, {"devices": 1})
    deliveries = [
        {
            "_id": f"{doc['_id']}:{device['token']}",
            "notification_id": doc["_id"],
            "user_id": uid,
            "platform": device["platform"],
            "token": device["token"],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "title": doc["title"],
            "body": doc["body"],
        }
        for device in (user or {}).get("devices", [])
    ]
    if deliveries:
        # _id = notification + device: the same push can never be queued twice.
        collection("push_outbox").insert_many(deliveries, ordered=False)
    return notification_id
