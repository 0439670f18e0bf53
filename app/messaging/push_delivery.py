"""Sending the push outbox: claim a row, send it through the provider, record the outcome.

Delivery guarantee (read before changing): each row is claimed with a compare-and-set
(pending → sending, attempts + 1, next_attempt_at = now + lease) immediately before its send,
one row at a time, and marked sent right after. So in normal operation, and with any number
of workers, a row is handed to the provider exactly once. The only ambiguous moment is a
worker dying between the provider call and the `sent` mark: the database cannot tell "died
before sending" from "died after sending". We choose AT-LEAST-ONCE for that window: a row left
in `sending` becomes claimable again only after its lease (ONEVISIT_PUSH_LEASE_SECONDS, a
visible grace far longer than a send takes) and is then sent again. At-most-once would silently
lose a push whenever the worker died before the call, which is the more common case (claims
happen just before the call, deploys send SIGTERM between rows). The rare repeat is not seen
twice by the user: every attempt carries the notification id as its collapse id (Android tag /
apns-collapse-id), so the phone replaces the first copy instead of showing a second one.
A crash can therefore cost at most one ambiguous row per worker, never a batch.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app import clock
from app.accounts import repository as users_repo
from app.messaging import push_outbox_repository as outbox
from app.messaging.push import InvalidToken, Provider, PushError, PushMessage, Unsupported

log = logging.getLogger("onevisit.push")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0  # claimed by another worker first

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        self.sent += other.sent
        self.retried += other.retried
        self.dead += other.dead
        self.skipped += other.skipped
        return self


def backoff(attempts: int, settings: Any) -> timedelta:
    """Exponential: base, 2·base, 4·base, … capped (attempts counts the one that failed)."""
    seconds = settings.push_backoff_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.push_backoff_max_seconds))


def _message(row: dict[str, Any]) -> PushMessage:
    return PushMessage(
        platform=row["platform"],
        token=row["token"],
        title=row.get("title", ""),
        body=row.get("body", ""),
        collapse_id=str(row["notification_id"]),
        data={"notification_id": str(row["notification_id"])},
    )


def deliver_row(row: dict[str, Any], provider: Provider, settings: Any) -> str:
    """Claim ROW and send it; returns 'sent', 'retried', 'dead' or 'skipped'."""
    now = clock.now()
    lease_until = now + timedelta(seconds=settings.push_lease_seconds)
    if not outbox.claim(row, now, lease_until, WORKER_ID):
        return "skipped"
    attempts = row["attempts"] + 1
    if attempts > settings.push_max_attempts:
        # Only a row whose last allowed attempt never finished gets here (its worker died,
        # perhaps because of this very row): stop instead of crashing workers forever.
        outbox.mark_dead(row["_id"], attempts, now, "gave up: the last attempt never finished")
        return "dead"
    try:
        provider.send(_message(row))
    except InvalidToken as exc:
        removed = users_repo.remove_device_everywhere(row["token"])
        outbox.mark_dead(row["_id"], attempts, clock.now(), f"invalid_token: {exc}")
        outbox.kill_pending_for_token(row["token"], clock.now(), "invalid_token")
        log.info("push token invalid; removed", extra={"users": removed})
        return "dead"
    except Unsupported as exc:
        outbox.mark_dead(row["_id"], attempts, clock.now(), f"unsupported: {exc}")
        return "dead"
    except PushError as exc:
        if attempts >= settings.push_max_attempts:
            outbox.mark_dead(row["_id"], attempts, clock.now(), f"gave up: {exc}")
            log.warning("push dead-lettered", extra={"row": row["_id"], "attempts": attempts})
            return "dead"
        outbox.mark_retry(row["_id"], attempts, clock.now() + backoff(attempts, settings), str(exc))
        return "retried"
    outbox.mark_sent(row["_id"], attempts, clock.now())
    return "sent"


def deliver_due(
    provider: Provider,
    settings: Any,
    limit: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """One bounded batch: rows due now, then rows whose sending lease expired. Stops between
    rows when SHOULD_STOP says so (SIGTERM), leaving the rest pending for the next worker."""
    report = DeliveryReport()
    now = clock.now()
    rows = outbox.due("pending", now, limit)
    if len(rows) < limit:
        rows += outbox.due("sending", now, limit - len(rows))
    for row in rows:
        if should_stop():
            break
        outcome = deliver_row(row, provider, settings)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def purge(settings: Any) -> int:
    return outbox.purge_finished(clock.now() - timedelta(days=settings.push_keep_days))
