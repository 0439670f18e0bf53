"""The live supervision stream (Server-Sent Events) for a supervisor's region.

Why polling and not a change stream: the stream must resume exactly after `Last-Event-ID`
(the event's ObjectId). A change stream's resume token is not that id, expires with the oplog,
and needs a replica set in production; a query `region_path = R and _id > last` on the
(region_path, _id) index answers both the catch-up after a reconnect and the live tail with
the same code, costs one indexed read per poll per open stream, and works on any MongoDB.

Why the settle delay: ObjectIds from different processes created in the same second are not
ordered by insertion time, and an id is created a moment before its insert. A reader that
sent id X and then moved on could miss an event with a smaller id inserted just after. So the
stream only emits events whose id's second is at least `sse_settle_seconds` old (2 s by
default, far longer than an insert takes): by then every event of that second is stored, and
`_id > last` loses nothing and repeats nothing. Latency of the live feed: about 2-3 s.

A connection lives at most `sse_max_lifetime_seconds` (then the client reconnects with
Last-Event-ID and nothing is lost), so a gunicorn gthread worker thread is never held forever,
and at most `sse_max_streams` streams run per process (503 + Retry-After beyond), so streams
cannot take every thread from ordinary requests.

Why `SHUTDOWN`: a gunicorn worker told to stop (SIGTERM, Ctrl-C of `make run`) waits for its
requests to finish, and an open stream never finishes by itself: the stop would wait out
gunicorn's graceful timeout and end in a SIGKILL. gunicorn_conf sets this event when the worker
is told to stop; every stream then ends within one poll interval, and clients reconnect with
Last-Event-ID to a live process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app

from app.http.errors import ServiceUnavailable, ValidationFailed
from app.oversight import repository as repo

BATCH = 100
SHUTDOWN = threading.Event()


def parse_last_event_id(raw: str | None) -> ObjectId | None:
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if not ObjectId.is_valid(raw) or len(raw) != 24:
        raise ValidationFailed(
            "Last-Event-ID must be the id of an event this stream sent.",
            errors={"Last-Event-ID": ["Not an event id."]},
        )
    return ObjectId(raw)


class StreamSlots:
    """The live streams one app (one server process) holds, against its cap: kept in the app's
    extensions, so each app counts its own (the tests' apps share a process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def acquire(self, limit: int) -> Callable[[], None]:
        with self._lock:
            if self.open >= limit:
                raise ServiceUnavailable(
                    "Too many live streams on this server; retry shortly.",
                    headers={"Retry-After": "10"},
                )
            self.open += 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    released = True
                    self.open -= 1

        return release


def acquire_slot(limit: int) -> Callable[[], None]:
    """Count one open stream of this app; returns its release function (safe to call twice),
    which the response calls when the server closes it."""
    slots = current_app.extensions.setdefault("stream_slots", StreamSlots())
    return slots.acquire(limit)


def _settled_bound(settle_seconds: float) -> ObjectId | None:
    if settle_seconds <= 0:
        return None
    cutoff = datetime.now(UTC) - timedelta(seconds=settle_seconds)
    # ObjectIds carry whole seconds: everything from before cutoff's second is settled.
    return ObjectId.from_datetime(cutoff)


def starting_point(region: str, settle_seconds: float) -> ObjectId | None:
    """Without Last-Event-ID a client wants what happens from now on: start after the newest
    event, or (with a settle delay) at the settle boundary, so an event created just before
    the connection but stored just after it is not skipped (it may also be in the feed page
    the client read; clients merge by id). The region's newest event serves filtered streams
    too: every event of a type or department raised from now on has a larger id."""
    bound = _settled_bound(settle_seconds)
    return bound if bound is not None else repo.newest_id(region, datetime.now(UTC))


def format_event(event_id: ObjectId, event_type: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\nevent: {event_type}\ndata: {data}\n\n"


def stream(
    region: str,
    last_id: ObjectId | None,
    settings: Any,
    serialize: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    event_type: str | None = None,
    department: str | None = None,
) -> Iterator[str]:
    """Yield SSE frames: events of REGION after LAST_ID, oldest first, then live ones; with
    EVENT_TYPE / DEPARTMENT only those (the catch-up and the live poll are the same read)."""
    started = time.monotonic()
    last_output = started
    sent = 0
    # Tell EventSource how soon to reconnect when this connection ends by design.
    yield "retry: 2000\n\n"
    while not SHUTDOWN.is_set():
        batch = repo.after(
            region,
            last_id,
            _settled_bound(settings.sse_settle_seconds),
            BATCH,
            event_type=event_type,
            department=department,
        )
        for event in batch:
            yield format_event(event["_id"], event["type"], serialize(event))
            last_id = event["_id"]
            last_output = time.monotonic()
            sent += 1
            if settings.sse_max_events and sent >= settings.sse_max_events:
                return
        now = time.monotonic()
        if now - started >= settings.sse_max_lifetime_seconds:
            return
        if len(batch) == BATCH:
            continue  # catching up: read the next batch at once
        if now - last_output >= settings.sse_heartbeat_seconds:
            # A comment line: keeps proxies from closing an idle connection, and lets the
            # server notice a client that went away (the write fails).
            yield ": heartbeat\n\n"
            last_output = now
        if SHUTDOWN.wait(settings.sse_poll_seconds):
            return
