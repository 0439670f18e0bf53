"""Human-readable tracking numbers: PREFIX + local date + a daily sequence, e.g.
ZJ20261126000123. Unique by construction (an atomic counter) and by a unique index.

A process takes its numbers in blocks: one atomic increment of the day's counter reserves
BLOCK numbers, which the process then hands out from memory. A submission therefore costs no
counter write of its own (one per BLOCK submissions), at the price of gaps when a process
stops with part of a block unused and of numbers that are unique and increasing per process
but not in strict order of submission across processes."""

from __future__ import annotations

import threading
from datetime import timedelta

from app import clock
from app.cases import repository as repo
from app.cases.workcalendar import CHINA_TZ
from app.db import get_db

# A day's counter is needed only on that day; the TTL index of migration 0040 removes it
# after this grace, which keeps the collection tiny (see below).
COUNTER_GRACE = timedelta(days=3)
BLOCK = 50

_lock = threading.Lock()
# (database, prefix, day) -> [next number, end of the reserved block)
_blocks: dict[tuple[str, str, str], list[int]] = {}


def _reserve(prefix: str, day: str) -> int:
    """Reserve BLOCK numbers of PREFIX for DAY; returns the first."""
    end = repo.reserve_numbers(f"tracking:{prefix}:{day}", BLOCK, clock.now() + COUNTER_GRACE)
    return end - BLOCK + 1


def forget() -> None:
    """Drop every block held (tests put a database's counters back to an earlier state)."""
    with _lock:
        _blocks.clear()


def next_tracking_no(prefix: str) -> str:
    day = clock.now().astimezone(CHINA_TZ).strftime("%Y%m%d")
    slot = (get_db().name, prefix, day)
    with _lock:
        block = _blocks.get(slot)
        if block is None or block[0] >= block[1]:
            first = _reserve(prefix, day)
            block = _blocks[slot] = [first, first + BLOCK]
        number = block[0]
        block[0] += 1
    return f"{prefix}{day}{number:06d}"
