"""SLA sweeps (filled in with the time-based supervision events)."""

from __future__ import annotations

from collections.abc import Callable


def sweep(limit: int, should_stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    return {}
