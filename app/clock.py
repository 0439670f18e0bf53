"""The service's notion of 'now': always timezone-aware UTC, and freezable in tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None


def now() -> datetime:
    """Current time in UTC, truncated to milliseconds as MongoDB stores it."""
    current = _frozen if _frozen is not None else datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def freeze(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    global _frozen
    _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> None:
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    freeze(_frozen + delta)


def unfreeze() -> None:
    global _frozen
    _frozen = None


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    freeze(at)
    try:
        yield
    finally:
        unfreeze()


def iso(value: datetime) -> str:
    """ISO 8601 UTC with a 'Z', as API.md requires."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
