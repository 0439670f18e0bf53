"""Admin-defined form patterns: compiled and matched by RE2, a linear-time regex engine.

Python's `re` backtracks: a pattern such as `^([a-z]+ ?)+$` takes time exponential in the
length of a crafted value, so one submission could hold a worker for minutes. RE2 guarantees
time linear in the input for every pattern it accepts; what it cannot do in linear time
(backreferences, lookaround) it refuses to compile, and such a pattern is refused when the
service item is saved. A heuristic that spots "dangerous" patterns in `re` syntax misses
cases and refuses harmless ones; an engine without backtracking has no such gap.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

# RE2 bounds the memory of a compiled program; a pattern over it is refused, never slow.
_MAX_PROGRAM_BYTES = 1 << 20


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is a 422 to the admin, not a log line
    options.max_mem = _MAX_PROGRAM_BYTES
    return options


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The compiled pattern; ValueError with RE2's reason when it cannot run in linear time."""
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a valid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise ValueError(str(reason)) from None


def problem(pattern: str) -> str | None:
    """Why PATTERN is refused (None when RE2 accepts it)."""
    try:
        compile_pattern(pattern)
    except ValueError as exc:
        return str(exc)
    return None


def full_match(pattern: str, value: str) -> bool:
    """Whether the whole VALUE matches PATTERN, in time linear in len(value)."""
    return compile_pattern(pattern).fullmatch(value) is not None
