"""One rate limiter, fixed windows counted in MongoDB so every worker process shares them."""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import current_app, request

from app import clock
from app.config import parse_rate
from app.http import rate_limits_repository as repo
from app.http.errors import TooManyRequests


def client_address() -> str:
    # With ONEVISIT_TRUSTED_PROXIES set, ProxyFix has already put the client in remote_addr.
    return request.remote_addr or "unknown"


def hit(bucket: str, subject: str, rate: str) -> None:
    """Count one hit of SUBJECT in BUCKET; raise 429 with Retry-After once over the limit."""
    limit, seconds = parse_rate(rate)
    now = clock.now()
    window = int(now.timestamp()) // seconds
    window_end = (window + 1) * seconds
    # Hash the subject: a phone number or an address never lands in the counters collection.
    digest = hashlib.sha256(f"{bucket}|{subject}".encode()).hexdigest()[:32]
    count = repo.increment(
        f"{digest}:{window}", expires_at=now + timedelta(seconds=window_end - now.timestamp() + 60)
    )
    if count > limit:
        retry_after = max(1, math.ceil(window_end - now.timestamp()))
        raise TooManyRequests(
            "Too many attempts; wait before trying again.",
            headers={"Retry-After": str(retry_after)},
        )


def rate(name: str) -> str:
    return getattr(current_app.extensions["settings"], name)
