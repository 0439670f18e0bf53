"""Login throttling that slows a password guesser without locking the owner out.

A fixed limit per phone number lets anyone lock a victim out with a few wrong passwords. So
the counters are kept per (phone, address) and decide by what an attacker cannot forge:

- **(phone, address)**: after `login_free_failures` wrong passwords, each further one makes
  that pair wait `login_backoff_seconds` × 2^n (capped at `login_backoff_max_seconds`). Only
  the guesser's own address slows down. A success clears the pair.
- **known addresses**: an address from which the phone signed in successfully (within
  `login_known_address_days`) is remembered. From a known address only the pair's own backoff
  applies, so the owner at their usual address is unaffected by anything done elsewhere.
- **phone, from unknown addresses**: failures from addresses the phone has never signed in
  from share one window (`ONEVISIT_LOGIN_LIMIT_PHONE`), so a guesser spreading over many
  addresses is still bounded; the owner's known addresses are outside it.
- **address**: attempts from one unknown address across many phones share a window
  (`ONEVISIT_LOGIN_LIMIT_ADDRESS`).

A refused attempt does not check the password (no argon2 work for a blocked guesser) and does
not count as a failure. Counters live in MongoDB (shared by every process) and hold SHA-256
digests, never a phone number or an address. Concurrent attempts can each pass the check
before either records its failure: the overshoot is bounded by the concurrency, and each
costs the attacker a full password hash.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from app import clock
from app.accounts import login_throttle_repository as repo
from app.config import parse_rate
from app.http.errors import TooManyRequests


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _settings() -> Any:
    return current_app.extensions["settings"]


def _refuse(until: datetime, now: datetime) -> None:
    retry_after = max(1, math.ceil((until - now).total_seconds()))
    raise TooManyRequests(
        "Too many failed sign-ins; wait before trying again.",
        headers={"Retry-After": str(retry_after)},
    )


def _window_key(name: str, subject: str, seconds: int, now: datetime) -> tuple[str, datetime]:
    window = int(now.timestamp()) // seconds
    end = datetime.fromtimestamp((window + 1) * seconds, now.tzinfo)
    return f"{name}:{_digest(name, subject)}:{window}", end


def check(phone: str, address: str) -> bool:
    """Raise 429 (with Retry-After) if this attempt must wait; True when ADDRESS is one the
    phone signed in from before (pass it to failed()/succeeded())."""
    settings, now = _settings(), clock.now()
    pair = repo.failures(_digest("pair", phone, address))
    if pair and pair.get("blocked_until") and pair["blocked_until"] > now:
        _refuse(pair["blocked_until"], now)
    known = repo.is_known(_digest("known", phone, address))
    if known:
        return True
    for name, subject, setting in (
        ("phone", phone, settings.login_limit_phone),
        ("address", address, settings.login_limit_address),
    ):
        limit, seconds = parse_rate(setting)
        key, end = _window_key(name, subject, seconds, now)
        doc = repo.failures(key)
        if doc and doc["failures"] >= limit:
            _refuse(end, now)
    return False


def failed(phone: str, address: str, known: bool) -> None:
    """Count a wrong password; start or lengthen the pair's backoff."""
    settings, now = _settings(), clock.now()
    memory = now + timedelta(seconds=settings.login_failure_memory_seconds)
    key = _digest("pair", phone, address)
    count = repo.add_failure(key, now, memory)
    over = count - settings.login_free_failures
    if over > 0:
        delay = min(
            settings.login_backoff_max_seconds, settings.login_backoff_seconds * 2 ** (over - 1)
        )
        repo.block_until(key, now + timedelta(seconds=delay))
    if known:
        return
    for name, subject, setting in (
        ("phone", phone, settings.login_limit_phone),
        ("address", address, settings.login_limit_address),
    ):
        _, seconds = parse_rate(setting)
        window_key, end = _window_key(name, subject, seconds, now)
        repo.add_failure(window_key, now, end + timedelta(seconds=60))


def succeeded(phone: str, address: str) -> None:
    """Clear the pair's failures and remember the address for this phone."""
    settings, now = _settings(), clock.now()
    repo.clear(_digest("pair", phone, address))
    repo.remember(
        _digest("known", phone, address), now + timedelta(days=settings.login_known_address_days)
    )
