"""Notifications to the people who must act: one inbox item per user, plus a push copy in
the delivery outbox for each registered device (sent by the background worker).

A command queues a notification as an outbox entry of its own write (`notification()`); the
relay turns it into the inbox item and its push copies (`deliver()`), keyed by the entry's
id, so a notification exists exactly when the change that caused it does, and once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession

from app import clock, i18n, outbox
from app.accounts import repository as users_repo
from app.messaging import push_outbox_repository as push_repo
from app.messaging import repository as repo


def notification(
    user_id: ObjectId | str,
    kind: str,
    title: str,
    body: str,
    *,
    params: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The outbox entry of a notification to USER_ID, for a command's own write. TITLE and
    BODY are message templates (English, `{placeholders}` filled from PARAMS), stored as such
    and rendered in the reader's language when read (app/i18n.py `render`)."""
    uid = user_id if isinstance(user_id, ObjectId) else ObjectId(user_id)
    return outbox.entry(
        "notify",
        user_id=uid,
        kind=kind,
        title=title[:200],
        body=body[:2000],
        params=params or None,
        subject=subject,
    )


def deliver(entries: list[dict[str, Any]], session: ClientSession | None = None) -> list[ObjectId]:
    """Put each notification ENTRY into its user's inbox and queue its push copies."""
    if not entries:
        return []
    now = clock.now()
    retention = current_app.extensions["settings"].rules.notification_retention_days
    docs = [
        {
            "_id": ObjectId(item["id"]),
            "user_id": item["user_id"],
            "kind": item["kind"],
            "title": item["title"],
            "body": item["body"],
            "params": item.get("params"),
            "subject": item.get("subject"),
            "read_at": None,
            "created_at": item.get("queued_at") or now,
            "expires_at": now + timedelta(days=retention),
        }
        for item in entries
    ]
    repo.insert_many(docs, session)
    devices = users_repo.devices_of({doc["user_id"] for doc in docs}, session)
    deliveries = [
        {
            # notification + device: the same push can never be queued twice.
            "_id": f"{doc['_id']}:{device['token']}",
            "notification_id": doc["_id"],
            "user_id": doc["user_id"],
            "platform": device["platform"],
            "token": device["token"],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            # A push has no Accept-Language: it goes out in the default language.
            "title": i18n.render(doc["title"], doc["params"], i18n.DEFAULT_LANGUAGE)[:200],
            "body": i18n.render(doc["body"], doc["params"], i18n.DEFAULT_LANGUAGE)[:2000],
        }
        for doc in docs
        for device in devices.get(doc["user_id"], [])
    ]
    push_repo.insert_many(deliveries, session)
    return [doc["_id"] for doc in docs]


@outbox.applier("notify")
def _apply(pending: list[outbox.Pending], session: ClientSession) -> None:
    deliver([item.entry for item in pending], session)


def notify(
    user_id: ObjectId | str,
    kind: str,
    title: str,
    body: str,
    *,
    params: dict[str, Any] | None = None,
    subject: dict[str, Any] | None = None,
) -> ObjectId:
    """Notify at once: for the worker's own steps, which are not a request's command."""
    return deliver([notification(user_id, kind, title, body, params=params, subject=subject)])[0]
