"""The background workers' last successful passes: written by each worker (at most every
RECORD_EVERY_SECONDS), read by /metrics, so the metric comes from the database whichever host
or container the worker runs in."""

from __future__ import annotations

import os
import socket
from datetime import datetime

from app.db import collection

RECORD_EVERY_SECONDS = 10.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_pass(worker: str, at: datetime) -> None:
    collection("worker_status").update_one(
        {"_id": worker}, {"$set": {"last_pass_at": at}}, upsert=True
    )


def last_pass() -> datetime | None:
    """The most recent successful pass of any worker (index last_pass_ttl, one entry)."""
    doc = collection("worker_status").find_one({}, {"last_pass_at": 1}, sort=[("last_pass_at", -1)])
    return doc["last_pass_at"] if doc else None
